package engineio_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// What is sent to a corked session waits for the last Uncork, then leaves at once.
func TestCorkHoldsMessagesUntilUncork(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := dialRaw(t, ts)
	p := ts.nextPeer(t)
	p.sess.Cork()
	p.sess.Cork() // corks nest
	for _, m := range []string{"one", "two", "three"} {
		if err := p.sess.Send(engineio.Message{Data: []byte(m)}); err != nil {
			t.Fatal(err)
		}
	}
	p.sess.Uncork()
	_ = c.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var ne net.Error
	if _, err := c.br.Peek(1); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a frame arrived while still corked (%v)", err)
	}
	p.sess.Uncork()
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	for _, want := range []string{"4one", "4two", "4three"} {
		if _, data := c.read(t); string(data) != want {
			t.Fatalf("got %q, want %q", data, want)
		}
	}
}

// Flush writes what is queued at once, even under a Cork; what is sent after it is
// held back again until the Uncork.
func TestFlushWritesWhatIsQueuedUnderACork(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	c := dialRaw(t, ts)
	p := ts.nextPeer(t)
	p.sess.Cork()
	if err := p.sess.Send(engineio.Message{Data: []byte("reply")}); err != nil {
		t.Fatal(err)
	}
	p.sess.Flush()
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, data := c.read(t); string(data) != "4reply" {
		t.Fatalf("got %q, want the flushed message", data)
	}
	if err := p.sess.Send(engineio.Message{Data: []byte("later")}); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var ne net.Error
	if _, err := c.br.Peek(1); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a message sent after Flush left before the Uncork (%v)", err)
	}
	p.sess.Uncork()
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, data := c.read(t); string(data) != "4later" {
		t.Fatalf("got %q, want %q", data, "4later")
	}
}
