package engineio

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection; the server end is wrapped.
func tcpPair(t *testing.T) (*wsConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	w := newWSConn(server)
	if w.raw == nil {
		t.Fatal("a TCP connection has no descriptor")
	}
	return w, client.(*net.TCPConn)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// A non-blocking write that the socket cannot take whole keeps the rest pending;
// nothing may overtake it: neither another tryWrite nor gws's own writes.
func TestWSConnPartialWriteKeepsOrder(t *testing.T) {
	w, client := tcpPair(t)
	// More than loopback socket buffers hold, even autotuned.
	first, second, third := pattern(16<<20, 1), pattern(1000, 2), pattern(3000, 3)

	if res := w.tryWrite(first); res != tryPartial {
		t.Fatalf("tryWrite of 16 MiB to a client that does not read = %v, want tryPartial", res)
	}
	if !w.hasPending.Load() {
		t.Fatal("no pending bytes after a partial write")
	}
	if res := w.tryWrite(second); res != tryNotWritten {
		t.Fatalf("tryWrite with bytes pending = %v, want tryNotWritten", res)
	}

	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	if _, err := w.Write(second); err != nil { // as gws writes a pong
		t.Fatal(err)
	}
	if err := w.writeFrames(third, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if w.hasPending.Load() {
		t.Error("pending bytes left after a blocking write")
	}
	_ = w.Close()
	want := append(append(append([]byte(nil), first...), second...), third...)
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("client read %d bytes, not the %d bytes written in order", len(b), len(want))
	}
}

// A write deadline that has passed makes tryWrite give up, not fail the connection;
// the blocking writer sets a new one.
func TestWSConnExpiredDeadline(t *testing.T) {
	w, client := tcpPair(t)
	_ = w.SetWriteDeadline(time.Now().Add(-time.Second))
	if res := w.tryWrite([]byte("x")); res != tryNotWritten {
		t.Fatalf("tryWrite past the deadline = %v, want tryNotWritten", res)
	}
	if err := w.writeFrames([]byte("yz"), 5*time.Second); err != nil {
		t.Fatalf("writeFrames: %v", err)
	}
	if res := w.tryWrite([]byte("!")); res != tryWritten {
		t.Fatalf("tryWrite within the new deadline = %v, want tryWritten", res)
	}
	b := make([]byte, 3)
	if _, err := io.ReadFull(client, b); err != nil || string(b) != "yz!" {
		t.Fatalf("client read %q, %v", b, err)
	}
}

// Reads through a small bufio.Reader, as gws does, see the stream intact; the pooled
// buffer is given back once consumed, so an idle connection holds none.
func TestWSConnReadGivesBufferBack(t *testing.T) {
	w, client := tcpPair(t)
	want := pattern(100_000, 5)
	go func() {
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+len(rest)%3000)
			_, _ = client.Write(rest[:n])
			rest = rest[n:]
		}
		_ = client.CloseWrite()
	}()
	br := bufio.NewReaderSize(w, 16) // small reads, as the frame reader makes
	var got []byte
	for i := 0; ; i++ {
		size := []int{2, 4, 100, 5000, 9000}[i%5]
		b := make([]byte, size)
		n, err := io.ReadFull(br, b)
		got = append(got, b[:n]...)
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}
	if w.rbuf != nil {
		t.Error("the read buffer is still held at EOF")
	}
	if _, err := w.Read(make([]byte, 10)); err != io.EOF {
		t.Errorf("Read after EOF = %v, want io.EOF", err)
	}
}
