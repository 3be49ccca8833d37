package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// handshakeRecord is what a session keeps of its opening request, compactly: the
// header lines and the raw query in two strings of their own (so that nothing of
// net/http's request stays reachable), instead of a header map and a parsed query
// kept for the session's whole life when the layers above read them at connect.
type handshakeRecord struct {
	header     string // "Name: value\n" per value, names canonical, in request order
	query      string // the raw query string
	remoteAddr string
	time       time.Time
	secure     bool
}

// newHandshake keeps what the layers above may need of the opening request.
func newHandshake(r *http.Request) handshakeRecord {
	return handshakeRecord{
		header:     flattenHeader(r.Header),
		query:      strings.Clone(r.URL.RawQuery),
		remoteAddr: strings.Clone(r.RemoteAddr),
		time:       time.Now(),
		secure:     r.TLS != nil,
	}
}

// flattenHeader writes h as one string of "Name: value\n" lines. Values cannot hold a
// newline (net/http refuses them) and names cannot hold a colon, so it parses back.
func flattenHeader(h http.Header) string {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 3
		}
	}
	var b strings.Builder
	b.Grow(n)
	for k, vs := range h {
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// handshake rebuilds the Handshake; every call returns a new one.
func (r *handshakeRecord) handshake() *Handshake {
	h := make(http.Header)
	for line := range strings.Lines(r.header) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
		h[k] = append(h[k], v)
	}
	q, _ := url.ParseQuery(r.query) // as r.URL.Query(): malformed pairs are dropped
	return &Handshake{Header: h, Query: q, RemoteAddr: r.remoteAddr, Secure: r.secure, Time: r.time}
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
