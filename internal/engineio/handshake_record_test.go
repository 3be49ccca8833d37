package engineio

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestHandshakeRecordRoundTrip(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/engine.io/?EIO=4&token=a%20b&x=1&x=2&bad=%zz", nil)
	r.Header = http.Header{
		"Cookie":        {"a=1; token=xyz"},
		"X-Multi":       {"one", "two: with colon", ""},
		"Authorization": {"Bearer t"},
	}
	r.RemoteAddr = "10.0.0.1:1234"
	rec := newHandshake(r)
	hs := rec.handshake()
	for k, want := range r.Header {
		if got := hs.Header[k]; !slices.Equal(got, want) {
			t.Errorf("Header[%s] = %q, want %q", k, got, want)
		}
	}
	if len(hs.Header) != len(r.Header) {
		t.Errorf("Header has %d names, want %d", len(hs.Header), len(r.Header))
	}
	if hs.Query.Get("token") != "a b" || !slices.Equal(hs.Query["x"], []string{"1", "2"}) || hs.Query.Has("bad") {
		t.Errorf("Query = %v", hs.Query)
	}
	if hs.RemoteAddr != "10.0.0.1:1234" || hs.Secure || hs.Time.IsZero() {
		t.Errorf("handshake = %+v", hs)
	}
	hs.Header.Set("Cookie", "changed")
	if again := rec.handshake(); again.Header.Get("Cookie") != "a=1; token=xyz" {
		t.Error("changing a returned Handshake changed the session's record")
	}
}
