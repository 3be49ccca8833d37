package engineio_test

import (
	"net/http"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
)

func allowExample(origin string, _ *http.Request) bool { return origin == "https://ok.example" }

func TestCORSPolling(t *testing.T) {
	ts := newTestServer(t, engineio.Config{AllowOrigin: allowExample}, false)

	res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", http.Header{"Origin": {"https://evil.example"}})
	if res.status != http.StatusForbidden || res.body != `{"code":4,"message":"Forbidden"}` {
		t.Errorf("refused origin: %d %q", res.status, res.body)
	}
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers on a refused origin")
	}

	res = do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", http.Header{"Origin": {"https://ok.example"}})
	if res.status != http.StatusOK {
		t.Fatalf("allowed origin: %d", res.status)
	}
	ts.nextPeer(t)
	if res.header.Get("Access-Control-Allow-Origin") != "https://ok.example" || res.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("CORS headers = %v", res.header)
	}

	// Errors carry CORS headers too, so that a browser can read them.
	res = do(t, http.MethodGet, ts.url("EIO=4&transport=polling&sid=nope"), "", http.Header{"Origin": {"https://ok.example"}})
	if res.status != http.StatusBadRequest || res.header.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("error with allowed origin: %d %v", res.status, res.header)
	}

	// No Origin: not a cross-origin request, always allowed, no CORS headers.
	res = do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", nil)
	ts.nextPeer(t)
	if res.status != http.StatusOK || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("no origin: %d %v", res.status, res.header)
	}
}

func TestCORSPreflight(t *testing.T) {
	ts := newTestServer(t, engineio.Config{AllowOrigin: allowExample}, false)
	hdr := http.Header{"Origin": {"https://ok.example"}, "Access-Control-Request-Headers": {"authorization, x-custom"}}
	res := do(t, http.MethodOptions, ts.url("EIO=4&transport=polling"), "", hdr)
	if res.status != http.StatusNoContent {
		t.Fatalf("preflight = %d", res.status)
	}
	h := res.header
	if h.Get("Access-Control-Allow-Origin") != "https://ok.example" || h.Get("Access-Control-Allow-Credentials") != "true" ||
		h.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" || h.Get("Access-Control-Allow-Headers") != "authorization, x-custom" {
		t.Errorf("preflight headers = %v", h)
	}
	hdr.Set("Origin", "https://evil.example")
	if res := do(t, http.MethodOptions, ts.url("EIO=4&transport=polling"), "", hdr); res.status != http.StatusForbidden {
		t.Errorf("refused preflight = %d", res.status)
	}
}

func TestCORSAllowAllByDefault(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", http.Header{"Origin": {"https://any.example"}})
	ts.nextPeer(t)
	if res.status != http.StatusOK || res.header.Get("Access-Control-Allow-Origin") != "https://any.example" {
		t.Errorf("default origin policy: %d %v", res.status, res.header)
	}
}

func TestCORSWebSocket(t *testing.T) {
	ts := newTestServer(t, engineio.Config{AllowOrigin: allowExample}, false)
	_, res, err := dial(t, ts.wsURL("EIO=4&transport=websocket"), http.Header{"Origin": {"https://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("websocket from refused origin: err %v, response %v", err, res)
	}
	c, _, err := dial(t, ts.wsURL("EIO=4&transport=websocket"), http.Header{"Origin": {"https://ok.example"}})
	if err != nil {
		t.Fatalf("websocket from allowed origin: %v", err)
	}
	c.next(t)
	ts.nextPeer(t)
}
