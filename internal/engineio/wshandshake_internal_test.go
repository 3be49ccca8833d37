package engineio

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestWebSocketAcceptKeyIsTheRFCs(t *testing.T) {
	// RFC 6455 §1.3's example.
	if got := wsAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept key %q", got)
	}
}

func TestWebSocketHandshakeChecks(t *testing.T) {
	good := func() *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "http://x/engine.io/?EIO=4&transport=websocket", nil)
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Connection", "keep-alive, Upgrade")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		return r
	}
	if accept, err := checkWebSocketHandshake(good()); err != nil || accept != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("a valid handshake: %q, %v", accept, err)
	}
	cases := []struct {
		name   string
		change func(r *http.Request)
		want   error
	}{
		{"POST", func(r *http.Request) { r.Method = http.MethodPost }, errWSMethod},
		{"no Upgrade", func(r *http.Request) { r.Header.Del("Upgrade") }, errWSUpgrade},
		{"Connection without upgrade", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") }, errWSUpgrade},
		{"version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") }, errWSVersion},
		{"no key", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") }, errWSKey},
		{"short key", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "c2hvcnQ=") }, errWSKey},
		{"not base64", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!==") }, errWSKey},
	}
	for _, c := range cases {
		r := good()
		c.change(r)
		if _, err := checkWebSocketHandshake(r); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// FuzzWebSocketHandshake: whatever the client's headers, the check never panics, and
// it accepts only a version-13 request whose key is 16 bytes in base64, answering
// with that key's accept value.
func FuzzWebSocketHandshake(f *testing.F) {
	f.Add("dGhlIHNhbXBsZSBub25jZQ==", "13", "Upgrade")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", "8", "keep-alive, Upgrade")
	f.Add("", "13", "")
	f.Fuzz(func(t *testing.T, key, version, connection string) {
		r, _ := http.NewRequest(http.MethodGet, "http://x/engine.io/", nil)
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Connection", connection)
		r.Header.Set("Sec-WebSocket-Version", version)
		r.Header.Set("Sec-WebSocket-Key", key)
		accept, err := checkWebSocketHandshake(r)
		if err != nil {
			return
		}
		nonce, decErr := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
		if version != "13" || decErr != nil || len(nonce) != 16 {
			t.Fatalf("accepted key %q version %q", key, version)
		}
		if accept != wsAcceptKey(strings.TrimSpace(key)) {
			t.Fatalf("accept %q for key %q", accept, key)
		}
	})
}
