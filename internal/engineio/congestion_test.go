package engineio_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
)

func TestCongestion(t *testing.T) {
	// SendQueue 16: congested from 4 queued packets until fewer than 2 are left.
	ts := newTestServer(t, engineio.Config{SendQueue: 16}, false)
	sid, p := ts.pollingSession(t) // the client polls only when the test says so
	msg := engineio.Message{Data: []byte("m")}
	for range 3 {
		_ = p.sess.Send(msg)
	}
	if p.sess.Congested() || ts.eio.CongestedSessions() != 0 {
		t.Fatal("congested below the high-water mark")
	}
	if err := p.sess.WaitUncongested(context.Background()); err != nil {
		t.Fatalf("WaitUncongested on a session with room = %v", err)
	}
	_ = p.sess.Send(msg)
	if !p.sess.Congested() || ts.eio.CongestedSessions() != 1 {
		t.Fatal("not congested at the high-water mark")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.sess.WaitUncongested(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitUncongested with a done context = %v", err)
	}

	waited := make(chan error, 1)
	go func() { waited <- p.sess.WaitUncongested(context.Background()) }()
	if res := ts.poll(t, sid); res.status != 200 {
		t.Fatalf("poll: %d", res.status)
	}
	if err := <-waited; err != nil {
		t.Fatalf("WaitUncongested after the queue drained = %v", err)
	}
	if p.sess.Congested() || ts.eio.CongestedSessions() != 0 {
		t.Error("still congested after the queue drained")
	}

	// Closing releases waiters too.
	for range 4 {
		_ = p.sess.Send(msg)
	}
	go func() { waited <- p.sess.WaitUncongested(context.Background()) }()
	p.sess.Close()
	if err := <-waited; err != nil {
		t.Fatalf("WaitUncongested on a closed session = %v", err)
	}
	if ts.eio.CongestedSessions() != 0 {
		t.Error("a closed session still counts as congested")
	}
}
