package engineio_test

import (
	"testing"

	"github.com/chatd/chatd/internal/engineio"
)

// BenchmarkWebSocketSend measures a message's way from Send through the writer to a
// client reading on loopback.
func BenchmarkWebSocketSend(b *testing.B) {
	ts := newTestServer(b, engineio.Config{SendQueue: 1 << 24}, false)
	c := mustDial(b, ts.wsURL("EIO=4&transport=websocket"))
	c.next(b) // open
	p := ts.nextPeer(b)
	msg := engineio.Message{Data: []byte(`42["newMessage",{"roomId":"general","content":"hi"}]`)}
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range b.N {
			<-c.frames
		}
	}()
	for range b.N {
		if err := p.sess.Send(msg); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// BenchmarkWebSocketSendBurst queues 32 messages at once, as a busy room does to one
// receiver, and waits until the client has read them all.
func BenchmarkWebSocketSendBurst(b *testing.B) {
	ts := newTestServer(b, engineio.Config{SendQueue: 1 << 24}, false)
	c := mustDial(b, ts.wsURL("EIO=4&transport=websocket"))
	c.next(b) // open
	p := ts.nextPeer(b)
	burst := make([]engineio.Message, 32)
	for i := range burst {
		burst[i] = engineio.Message{Data: []byte(`42["newMessage",{"roomId":"general","content":"hi"}]`)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := p.sess.Send(burst...); err != nil {
			b.Fatal(err)
		}
		for range burst {
			<-c.frames
		}
	}
}
