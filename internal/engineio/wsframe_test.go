package engineio

import (
	"bytes"
	"testing"
)

func TestAppendFrameHeaderLengths(t *testing.T) {
	for _, tc := range []struct {
		p    packet
		head []byte
	}{
		{packet{typ: packetMessage, data: []byte("hi")}, []byte{0x81, 3, '4'}},
		{packet{typ: packetPing}, []byte{0x81, 1, '2'}},
		{packet{typ: packetMessage, data: make([]byte, 124)}, []byte{0x81, 125, '4'}},
		{packet{typ: packetMessage, data: make([]byte, 125)}, []byte{0x81, 126, 0, 126, '4'}},
		{packet{typ: packetMessage, data: make([]byte, 65534)}, []byte{0x81, 126, 0xff, 0xff, '4'}},
		{packet{typ: packetMessage, data: make([]byte, 65535)}, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0, '4'}},
		{packet{typ: packetMessage, data: []byte{1, 2}, binary: true}, []byte{0x82, 2, 1, 2}},
		{packet{typ: packetMessage, binary: true}, []byte{0x82, 0}},
	} {
		got := appendFrame(nil, tc.p)
		if !bytes.HasPrefix(got, tc.head) {
			t.Errorf("frame of %d bytes (binary %v) starts % x, want % x", len(tc.p.data), tc.p.binary, got[:min(len(got), 12)], tc.head)
		}
		if len(got) != frameLen(tc.p) {
			t.Errorf("frame of %d bytes: len %d, frameLen %d", len(tc.p.data), len(got), frameLen(tc.p))
		}
	}
}

// BenchmarkAppendFrames encodes a batch of 32 chat-sized packets into a reused buffer.
func BenchmarkAppendFrames(b *testing.B) {
	batch := make([]packet, 32)
	for i := range batch {
		batch[i] = packet{typ: packetMessage, data: []byte(`2["newMessage",{"roomId":"general","content":"hello there"}]`)}
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendFrames(buf[:0], batch)
	}
}
