package socketio

import (
	"crypto/rand"
	"encoding/base64"
)

// newID returns a random 20-character id, like socket.io's base64id: socket ids are
// public, private session ids (pid) are secrets, so both come from crypto/rand.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
