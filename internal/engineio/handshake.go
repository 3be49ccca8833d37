package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// sidBytes is the entropy of a session id: 120 bits, 20 base64url characters.
const sidBytes = 15

// newSID returns a random, URL-safe, unguessable session id.
func newSID() string {
	var b [sidBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newHandshake keeps what the layers above may need of the opening request.
func newHandshake(r *http.Request) *Handshake {
	return &Handshake{
		Header:     r.Header.Clone(),
		Query:      r.URL.Query(),
		RemoteAddr: r.RemoteAddr,
		Secure:     r.TLS != nil,
		Time:       time.Now(),
	}
}

// openPacketData is the JSON of the OPEN packet, keys in engine.io's order. It is
// written by hand: the sid is base64url and needs no escaping, and the key order is
// compared verbatim by the protocol test suite.
func (c *settings) openPacketData(sid string, canUpgrade bool) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	b = append(b, `","upgrades":[`...)
	if canUpgrade {
		b = append(b, `"websocket"`...)
	}
	b = append(b, `],"pingInterval":`...)
	b = strconv.AppendInt(b, c.pingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, c.pingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, int64(c.maxPayload), 10)
	return append(b, '}')
}

// setCookie adds the session-id cookie to a handshake response when configured.
func (c *settings) setCookie(w http.ResponseWriter, sid string) {
	if c.cookie == nil {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     c.cookie.Name,
		Value:    sid,
		Path:     c.cookie.Path,
		HttpOnly: c.cookie.HTTPOnly,
		SameSite: c.cookie.SameSite,
		Secure:   c.cookie.Secure,
	})
}
