package chat

import (
	"slices"
	"testing"
	"time"
)

// TestConnectedSocketKeepsNoAuth checks that the middleware releases the CONNECT auth
// payload (and its token) once read, while the socket stays authenticated.
func TestConnectedSocketKeepsNoAuth(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice")
	c := waitClient(t, h.svc.users, "alice")
	if c.sock == nil || c.sock.Auth() != nil {
		t.Fatalf("the socket keeps its auth payload %s", c.sock.Auth())
	}
}

// waitClient waits for user's one socket to be connected (OnConnect runs after the
// client has its CONNECT reply) and returns its client.
func waitClient(t *testing.T, u *users, user string) *client {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		u.mu.Lock()
		var clients []*client
		if st := u.m[user]; st != nil {
			clients = slices.Clone(st.clients)
		}
		u.mu.Unlock()
		if len(clients) == 1 {
			return clients[0]
		}
	}
	t.Fatalf("%s never connected", user)
	return nil
}
