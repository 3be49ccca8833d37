package socketio

import (
	"encoding/json"
	"testing"
)

// TestReleaseAuth checks that middleware reads the CONNECT auth payload, releases it,
// and that the connected socket then keeps none.
func TestReleaseAuth(t *testing.T) {
	srv := testServer(t, Config{})
	var seen string
	srv.Of("/").Use(func(s *Socket) error {
		seen = string(s.Auth())
		s.ReleaseAuth()
		return nil
	})
	connected := make(chan *Socket, 1)
	srv.Of("/").OnConnect(func(s *Socket) {
		_ = s.EmitPayload("auth", Payload{Args: []json.RawMessage{authOrEmpty(s)}})
		connected <- s
	})
	f := dial(srv, "e1")
	f.text(`0{"token":"abc"}`)
	f.next(t) // the CONNECT reply
	f.expect(t, `2["auth",{}]`)
	s := <-connected
	if seen != `{"token":"abc"}` || s.Auth() != nil || !s.Connected() {
		t.Fatalf("middleware saw %q; connected socket auth %q", seen, s.Auth())
	}
}
