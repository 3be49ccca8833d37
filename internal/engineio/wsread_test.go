package engineio_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// rawUpgradeRequest opens a WebSocket session at /engine.io/ by hand.
const rawUpgradeRequest = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// rawWS is a hand-driven WebSocket client, for frames a well-behaved library never
// sends.
type rawWS struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, ts *testServer) *rawWS {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := rawUpgradeRequest
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
	c := &rawWS{conn: conn, br: bufio.NewReader(conn)}
	for { // skip the 101 response
		line, err := c.br.ReadString('\n')
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if line == "\r\n" {
			break
		}
	}
	if op, data := c.read(t); op != 1 || !strings.HasPrefix(string(data), `0{"sid"`) {
		t.Fatalf("first frame %d %q, want OPEN", op, data)
	}
	return c
}

// clientFrame encodes one client frame, masked unless unmasked is set.
func clientFrame(first byte, payload []byte, unmasked bool) []byte {
	b := []byte{first}
	maskBit := byte(0x80)
	if unmasked {
		maskBit = 0
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, maskBit|byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, maskBit|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, maskBit|127), uint64(n))
	}
	if unmasked {
		return append(b, payload...)
	}
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, mask...)
	for i, x := range payload {
		b = append(b, x^mask[i%4])
	}
	return b
}

func (c *rawWS) write(t *testing.T, frames ...[]byte) {
	t.Helper()
	if _, err := c.conn.Write(bytes.Join(frames, nil)); err != nil {
		t.Fatal(err)
	}
}

// read returns the next server frame, skipping Engine.IO PINGs.
func (c *rawWS) read(t *testing.T) (byte, []byte) {
	t.Helper()
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			t.Fatalf("read frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			_, _ = io.ReadFull(c.br, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			_, _ = io.ReadFull(c.br, l[:])
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(c.br, data); err != nil {
			t.Fatalf("read payload: %v", err)
		}
		if h[0]&0x0f == 1 && string(data) == "2" {
			continue
		}
		return h[0] & 0x0f, data
	}
}

func TestWebSocketReaderFragmentsAndControlFrames(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := dialRaw(t, ts)
	p := ts.nextPeer(t)
	// A text message in three fragments, with a ping between them.
	c.write(t, clientFrame(0x01, []byte("4hel"), false), clientFrame(0x89, []byte("hb"), false),
		clientFrame(0x00, []byte("lo "), false), clientFrame(0x80, []byte("world"), false))
	if op, data := c.read(t); op != 0xA || string(data) != "hb" {
		t.Fatalf("answer to a ping: opcode %#x %q, want a pong with its payload", op, data)
	}
	if m := p.nextMessage(t); m != (inbound{"hello world", false}) {
		t.Fatalf("fragmented message delivered as %+v", m)
	}
	// A binary message of 200 KB (64-bit length), then a small text one.
	big := bytes.Repeat([]byte{7}, 200_000)
	c.write(t, clientFrame(0x82, big, false), clientFrame(0x81, []byte("4next"), false))
	if m := p.nextMessage(t); !m.binary || m.data != string(big) {
		t.Fatalf("200 KB binary message delivered as %d bytes", len(m.data))
	}
	if m := p.nextMessage(t); m.data != "next" {
		t.Fatalf("message after the big one: %+v", m)
	}
	// The client's close frame is echoed and ends the session normally.
	c.write(t, clientFrame(0x88, []byte{0x03, 0xe9}, false))
	if op, data := c.read(t); op != 0x8 || !bytes.Equal(data, []byte{0x03, 0xe9}) {
		t.Fatalf("answer to close 1001: opcode %#x % x", op, data)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportClose {
		t.Errorf("close reason = %v", r)
	}
}

func TestWebSocketReaderProtocolErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		frames [][]byte
		code   uint16
	}{
		"unmasked":            {[][]byte{clientFrame(0x81, []byte("4x"), true)}, 1002},
		"reserved bits":       {[][]byte{clientFrame(0xC1, []byte("4x"), false)}, 1002},
		"lone continuation":   {[][]byte{clientFrame(0x80, []byte("4x"), false)}, 1002},
		"message in message":  {[][]byte{clientFrame(0x01, []byte("4x"), false), clientFrame(0x81, []byte("4y"), false)}, 1002},
		"fragmented control":  {[][]byte{clientFrame(0x09, []byte("p"), false)}, 1002},
		"unknown opcode":      {[][]byte{clientFrame(0x83, []byte("4x"), false)}, 1002},
		"oversized fragments": {[][]byte{clientFrame(0x01, bytes.Repeat([]byte("x"), 10), false), clientFrame(0x80, bytes.Repeat([]byte("x"), 10), false)}, 1009},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, engineio.Config{MaxPayload: 16}, false)
			c := dialRaw(t, ts)
			p := ts.nextPeer(t)
			c.write(t, tc.frames...)
			op, data := c.read(t)
			if op != 0x8 || len(data) < 2 || binary.BigEndian.Uint16(data) != tc.code {
				t.Fatalf("server answered opcode %#x % x, want close %d", op, data, tc.code)
			}
			if r := p.waitClosed(t); r != engineio.CloseReasonTransportError {
				t.Errorf("close reason = %v", r)
			}
		})
	}
}

// TestWebSocketReaderHugeLengthInsideFragments: a continuation announcing 2^64-1
// bytes after a first fragment must be refused as too large (1009), not wrap the
// size check around and bring the process down.
func TestWebSocketReaderHugeLengthInsideFragments(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := dialRaw(t, ts)
	ts.nextPeer(t)
	huge := []byte{0x80, 0x80 | 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}
	c.write(t, clientFrame(0x01, []byte("4a"), false), huge)
	op, data := c.read(t)
	if op != 0x8 || len(data) < 2 || binary.BigEndian.Uint16(data) != 1009 {
		t.Fatalf("got opcode %#x %v, want close 1009", op, data)
	}
}

// FuzzWebSocketReader feeds arbitrary bytes to the server's WebSocket reader after a
// real handshake: whatever comes, the server must not panic (a crash fails the fuzz).
func FuzzWebSocketReader(f *testing.F) {
	f.Add(clientFrame(0x81, []byte("4hello"), false))
	f.Add(append(clientFrame(0x01, []byte("4he"), false), clientFrame(0x80, []byte("llo"), false)...))
	f.Add(clientFrame(0x89, []byte("ping"), false))
	f.Add(clientFrame(0x88, []byte{0x03, 0xe8}, false))
	f.Add(clientFrame(0x82, []byte{1, 2, 3}, false))
	f.Add([]byte{0x80, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	ts := newTestServer(f, engineio.Config{MaxPayload: 1 << 16}, false)
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	go func() { // sessions are handed to the test's peers channel: keep it drained
		for {
			select {
			case <-ts.h.peers:
			case <-done:
				return
			}
		}
	}()
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.http.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := rawUpgradeRequest
		_, _ = conn.Write(append([]byte(req), data...))
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, _ = io.Copy(io.Discard, conn) // until the server closes or the deadline
	})
}
