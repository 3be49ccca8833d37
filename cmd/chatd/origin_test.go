package main

import (
	"net/http/httptest"
	"testing"
)

func TestOriginPolicy(t *testing.T) {
	tests := []struct {
		name   string
		list   string
		dev    bool
		host   string // Host of the request
		origin string
		want   bool
	}{
		{"same origin", "", false, "chat.example:8080", "http://chat.example:8080", true},
		{"same origin behind TLS proxy", "", false, "chat.example", "https://chat.example", true},
		{"same origin default port spelled out", "", false, "chat.example", "https://chat.example:443", true},
		{"same origin case", "", false, "Chat.Example", "https://chat.example", true},
		{"other site", "", false, "chat.example", "https://evil.example", false},
		{"other port", "", false, "chat.example:8080", "http://chat.example:9090", false},
		{"suffix trick", "", false, "chat.example", "https://chat.example.evil.example", false},
		{"localhost outside development", "", false, "chat.example", "http://localhost:3000", false},
		{"localhost in development", "", true, "chat.example", "http://localhost:3000", true},
		{"loopback IP in development", "", true, "chat.example", "https://127.0.0.1:5173", true},
		{"IPv6 loopback in development", "", true, "chat.example", "http://[::1]:5173", true},
		{"localhost lookalike in development", "", true, "chat.example", "http://localhost.evil.example", false},
		{"null origin", "", true, "chat.example", "null", false},
		{"garbage", "", true, "chat.example", "%%%", false},
		{"listed", "https://good.example, http://other.example:8080", false, "chat.example", "https://good.example", true},
		{"listed with default port", "https://good.example", false, "chat.example", "https://good.example:443", true},
		{"listed trailing slash", "https://good.example/", false, "chat.example", "https://good.example", true},
		{"listed scheme matters", "https://good.example", false, "chat.example", "http://good.example", false},
		{"listed port matters", "http://other.example:8080", false, "chat.example", "http://other.example", false},
		{"list excludes same origin", "https://good.example", false, "chat.example", "https://chat.example", false},
		{"list excludes localhost", "https://good.example", true, "chat.example", "http://localhost:3000", false},
		{"unlisted", "https://good.example", false, "chat.example", "http://evil.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newOriginPolicy(tt.list, tt.dev)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling", nil)
			r.Host = tt.host
			if got := p.allow(tt.origin, r); got != tt.want {
				t.Fatalf("allow(%q) with Host %q = %v, want %v", tt.origin, tt.host, got, tt.want)
			}
		})
	}
}

func TestOriginPolicyWildcard(t *testing.T) {
	for _, list := range []string{"*", " * ", "https://a.example,*"} {
		p, err := newOriginPolicy(list, false)
		if err != nil || p != nil {
			t.Errorf("%q: got %v, %v; want nil policy (all allowed)", list, p, err)
		}
	}
}

func TestOriginPolicyRefusesBadEntries(t *testing.T) {
	for _, list := range []string{"good.example", "https://", "https://a.example/path", "https://u@a.example", "https://a.example?x=1", "null"} {
		if _, err := newOriginPolicy(list, false); err == nil {
			t.Errorf("%q: accepted, want an error", list)
		}
	}
}

func FuzzOriginPolicy(f *testing.F) {
	f.Add("https://a.example:443", "a.example")
	f.Add("http://[::1]:80", "[::1]")
	f.Add("null", "")
	f.Fuzz(func(t *testing.T, origin, host string) {
		p, _ := newOriginPolicy("", true)
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		if p.allow(origin, r) {
			// Whatever was allowed must be a well-formed origin.
			if _, err := normalizeOrigin(origin); err != nil {
				t.Fatalf("allowed malformed origin %q", origin)
			}
		}
	})
}

func BenchmarkOriginPolicy(b *testing.B) {
	for _, bc := range []struct{ name, list string }{{"default", ""}, {"listed", "https://a.example,https://chat.example"}} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := newOriginPolicy(bc.list, true)
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/socket.io/", nil)
			r.Host = "chat.example"
			b.ReportAllocs()
			for b.Loop() {
				if !p.allow("https://chat.example", r) {
					b.Fatal("refused")
				}
			}
		})
	}
}
