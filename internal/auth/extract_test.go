package auth_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chatd/chatd/internal/auth"
)

func TestTokenFromOrder(t *testing.T) {
	all := func() (url.Values, http.Header) {
		h := http.Header{}
		h.Set("Authorization", "Bearer from-header")
		h.Set("Cookie", "theme=dark; token=from-cookie")
		return url.Values{"token": {"from-query"}}, h
	}
	tests := []struct {
		name  string
		auth  string
		strip func(url.Values, http.Header)
		want  string
	}{
		{"auth payload first", "from-auth", nil, "from-auth"},
		{"then query", "", nil, "from-query"},
		{"empty query falls through", "", func(q url.Values, _ http.Header) { q.Set("token", "") }, "from-header"},
		{"then bearer", "", func(q url.Values, _ http.Header) { q.Del("token") }, "from-header"},
		{"then cookie", "", func(q url.Values, h http.Header) { q.Del("token"); h.Del("Authorization") }, "from-cookie"},
		{"non-bearer scheme skipped", "", func(q url.Values, h http.Header) {
			q.Del("token")
			h.Set("Authorization", "Basic dXNlcjpwYXNz")
		}, "from-cookie"},
		{"nothing", "", func(q url.Values, h http.Header) {
			q.Del("token")
			h.Del("Authorization")
			h.Del("Cookie")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, h := all()
			if tt.strip != nil {
				tt.strip(q, h)
			}
			if got := auth.TokenFrom(tt.auth, q, h); got != tt.want {
				t.Errorf("TokenFrom = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTokenFromNilSources(t *testing.T) {
	if got := auth.TokenFrom("", nil, nil); got != "" {
		t.Errorf("TokenFrom(nil, nil) = %q, want empty", got)
	}
}

func TestTokenFromBearer(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Bearer abc.def.ghi", "abc.def.ghi"},
		{"bearer abc", "abc"},
		{"BEARER abc", "abc"},
		{"  Bearer    abc  ", "abc"},
		{"Bearer", ""},
		{"Bearer   ", ""},
		{"Bearerabc", ""},
		{"Token abc", ""},
	}
	for _, tt := range tests {
		h := http.Header{"Authorization": {tt.header}}
		if got := auth.TokenFrom("", nil, h); got != tt.want {
			t.Errorf("Authorization %q: got %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestTokenFromCookie(t *testing.T) {
	tests := []struct {
		name    string
		cookies []string
		want    string
	}{
		{"only cookie", []string{"token=abc.def.ghi"}, "abc.def.ghi"},
		{"among others", []string{"a=1; token=abc; b=2"}, "abc"},
		{"second header line", []string{"a=1", "token=abc"}, "abc"},
		{"quoted", []string{`token="abc"`}, "abc"},
		{"similar name", []string{"xtoken=abc; tokens=def"}, ""},
		{"percent kept raw", []string{"token=a%2Eb"}, "a%2Eb"},
		{"empty", []string{"token="}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Cookie": tt.cookies}
			if got := auth.TokenFrom("", nil, h); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
