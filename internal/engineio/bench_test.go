package engineio

import (
	"strconv"
	"testing"
)

// nopTransport lets a benchmark measure the session side of Send alone.
type nopTransport struct{}

func (nopTransport) name() string                 { return "nop" }
func (nopTransport) wakeLocked()                  {}
func (nopTransport) closeLocked(CloseReason) bool { return false }

// BenchmarkBroadcastSend queues one encoded message on many sessions, as a room
// broadcast does; the queues are drained every few rounds, as the writers would.
func BenchmarkBroadcastSend(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			srv := NewServer(Config{SendQueue: 64}, nil)
			sessions := make([]*Session, n)
			for i := range sessions {
				sessions[i] = newSession(srv, handshakeRecord{})
				sessions[i].tr = nopTransport{}
			}
			msg := Message{Data: []byte(`42["newMessage",{"roomId":"general","content":"hi"}]`)}
			b.ReportAllocs()
			round := 0
			for b.Loop() {
				for _, s := range sessions {
					if err := s.Send(msg); err != nil {
						b.Fatal(err)
					}
				}
				if round++; round%16 == 0 {
					for _, s := range sessions {
						s.mu.Lock()
						s.recycleLocked(s.takeQueueLocked())
						s.mu.Unlock()
					}
				}
			}
		})
	}
}
