package loadgen

import (
	"testing"
	"time"
)

// BenchmarkReceive is the receive path of every fan-out delivery: parse the Socket.IO
// packet, recognise newMessage, check and time the probe. It must not allocate.
func BenchmarkReceive(b *testing.B) {
	f := &fanout{r: &run{o: Options{Members: 100}, origin: time.Now(), errs: newErrorCounts()}, names: []string{"bench-room-0"}}
	m := &member{f: f, room: 0, lastSeq: make([]uint64, 1)}
	frames := make([][]byte, 1024)
	for i := range frames {
		content := appendProbe(nil, probe{room: 0, pub: 0, seq: uint64(i + 1), sent: 1}, 100)
		frames[i] = []byte(`2/chat,["newMessage",{"id":"0000000000001-7q3k9m2x5c8vhn4t","content":"` +
			string(content) + `","sender":"bench-user-0-0","roomId":"bench-room-0","timestamp":"2026-11-26T13:00:00.000Z"}]`)
	}
	b.ReportAllocs()
	for i := range b.N {
		if i%len(frames) == 0 {
			m.lastSeq[0] = 0
		}
		pkt, _ := parseSIO(frames[i%len(frames)])
		m.onEvent(nil, pkt.data)
	}
	if n := f.r.errs.total(); n != 0 {
		b.Fatalf("%d errors: %v", n, f.r.errs.counts)
	}
}

// BenchmarkBuildSend is the encoding of one sendMessage into a reused buffer.
func BenchmarkBuildSend(b *testing.B) {
	tail := []byte(`","roomId":"bench-room-0"}]`)
	var buf []byte
	b.ReportAllocs()
	for i := range b.N {
		buf = appendEmitHead(buf[:0], int64(i), "sendMessage")
		buf = append(buf, `{"content":"`...)
		buf = appendProbe(buf, probe{room: 1, pub: 2, seq: uint64(i), sent: int64(i) * 1000}, 100)
		buf = append(buf, tail...)
	}
}
