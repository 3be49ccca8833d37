package engineio_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

var openRe = regexp.MustCompile(`^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":(\[\]|\["websocket"\]),"pingInterval":(\d+),"pingTimeout":(\d+),"maxPayload":(\d+)\}$`)

func TestHandshakePollingExactJSON(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("status = %d", res.status)
	}
	if got := res.header.Get("Content-Type"); got != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type = %q", got)
	}
	m := openRe.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("open packet %q does not match %s", res.body, openRe)
	}
	if m[1] != `["websocket"]` || m[2] != "25000" || m[3] != "20000" || m[4] != "1000000" {
		t.Errorf("open packet %q: want upgrades [websocket] and the default 25000/20000/1000000", res.body)
	}
	p := ts.nextPeer(t)
	if p.sess.Transport() != "polling" || p.sess.ID() != parseOpen(t, res.body).SID {
		t.Errorf("session transport %q id %q", p.sess.Transport(), p.sess.ID())
	}
}

func TestHandshakeUpgradesEmptyWithoutWebSocket(t *testing.T) {
	ts := newTestServer(t, engineio.Config{Transports: []string{"polling"}}, false)
	res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", nil)
	if o := parseOpen(t, res.body); len(o.Upgrades) != 0 {
		t.Errorf("upgrades = %v, want none when websocket is not allowed", o.Upgrades)
	}
	ts.nextPeer(t)
	if _, _, err := dial(t, ts.wsURL("EIO=4&transport=websocket"), nil); err == nil {
		t.Error("websocket handshake accepted although not an allowed transport")
	}
}

func TestHandshakeWebSocket(t *testing.T) {
	ts := newTestServer(t, engineio.Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxPayload: 1234}, false)
	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	f := c.next(t)
	m := openRe.FindStringSubmatch(f.data)
	if f.binary || m == nil {
		t.Fatalf("open frame %q (binary %v) does not match", f.data, f.binary)
	}
	if m[1] != "[]" || m[2] != "300" || m[3] != "200" || m[4] != "1234" {
		t.Errorf("open packet %q: want no upgrades and 300/200/1234", f.data)
	}
	p := ts.nextPeer(t)
	if p.sess.Transport() != "websocket" {
		t.Errorf("transport = %q", p.sess.Transport())
	}
}

func TestHandshakeKeepsRequest(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	hdr := http.Header{"Cookie": {"a=1; token=xyz"}, "X-Test": {"yes"}}
	do(t, http.MethodGet, ts.url("EIO=4&transport=polling&token=q"), "", hdr)
	hs := ts.nextPeer(t).sess.Handshake()
	if hs.Header.Get("X-Test") != "yes" || hs.Query.Get("token") != "q" || hs.RemoteAddr == "" || hs.Secure || hs.Time.IsZero() {
		t.Errorf("handshake = %+v", hs)
	}
	if v, ok := hs.Cookie("token"); !ok || v != "xyz" {
		t.Errorf("Cookie(token) = %q, %v", v, ok)
	}
	if _, ok := hs.Cookie("missing"); ok {
		t.Error("Cookie(missing) reported present")
	}
}

func TestHandshakeErrors(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	tests := []struct {
		name, method, query, body string
	}{
		{"missing EIO", "GET", "transport=polling", `{"code":5,"message":"Unsupported protocol version"}`},
		{"bad EIO", "GET", "EIO=abc&transport=polling", `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO 3", "GET", "EIO=3&transport=polling", `{"code":5,"message":"Unsupported protocol version"}`},
		{"missing transport", "GET", "EIO=4", `{"code":0,"message":"Transport unknown"}`},
		{"bad transport", "GET", "EIO=4&transport=abc", `{"code":0,"message":"Transport unknown"}`},
		{"POST handshake", "POST", "EIO=4&transport=polling", `{"code":2,"message":"Bad handshake method"}`},
		{"PUT handshake", "PUT", "EIO=4&transport=polling", `{"code":2,"message":"Bad handshake method"}`},
		{"unknown sid GET", "GET", "EIO=4&transport=polling&sid=nope", `{"code":1,"message":"Session ID unknown"}`},
		{"unknown sid POST", "POST", "EIO=4&transport=polling&sid=nope", `{"code":1,"message":"Session ID unknown"}`},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", `{"code":3,"message":"Bad request"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, tt.method, ts.url(tt.query), "4x", nil)
			if res.status != http.StatusBadRequest || res.body != tt.body {
				t.Errorf("got %d %q, want 400 %q", res.status, res.body, tt.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	if n := ts.eio.SessionCount(); n != 0 {
		t.Errorf("SessionCount = %d after failed handshakes", n)
	}
}

func TestHandshakeCookie(t *testing.T) {
	cookie := &engineio.Cookie{HTTPOnly: true, SameSite: http.SameSiteLaxMode}
	ts := newTestServer(t, engineio.Config{Cookie: cookie}, false)
	res := do(t, http.MethodGet, ts.url("EIO=4&transport=polling"), "", nil)
	sid := parseOpen(t, res.body).SID
	ts.nextPeer(t)
	want := "io=" + sid + "; Path=/; HttpOnly; SameSite=Lax"
	if got := res.header.Get("Set-Cookie"); got != want {
		t.Errorf("Set-Cookie = %q, want %q", got, want)
	}

	plain := newTestServer(t, engineio.Config{}, false)
	res = do(t, http.MethodGet, plain.url("EIO=4&transport=polling"), "", nil)
	plain.nextPeer(t)
	if got := res.header.Get("Set-Cookie"); got != "" {
		t.Errorf("Set-Cookie = %q without Config.Cookie", got)
	}
}

func TestSIDsAreUnique(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	seen := map[string]bool{}
	for range 20 {
		sid, _ := ts.pollingSession(t)
		if seen[sid] {
			t.Fatalf("sid %q issued twice", sid)
		}
		seen[sid] = true
	}
	if n := ts.eio.SessionCount(); n != 20 {
		t.Errorf("SessionCount = %d, want 20", n)
	}
}
