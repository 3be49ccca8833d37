package webui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chatd/chatd/internal/auth"
)

const testSecret = "devtoken-test-secret-0123456789abcdef"

func newDevTokens() *DevTokens {
	return &DevTokens{Secret: []byte(testSecret), Log: discard}
}

func post(d http.Handler, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, DevTokenPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, req)
	return rec
}

func TestDevTokenMints(t *testing.T) {
	rec := post(newDevTokens(), `{"name":"  Alice   Smith "}`, map[string]string{"Origin": "http://example.com"})
	if rec.Code != 200 {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	var got devTokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.UserID != "alice-smith" {
		t.Errorf("userId %q, want alice-smith", got.UserID)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(got.Token)
	if err != nil {
		t.Fatalf("the minted token does not verify: %v", err)
	}
	if claims.Subject != "alice-smith" || claims.Name != "Alice Smith" || claims.Rooms != nil {
		t.Errorf("claims %+v", claims)
	}
	if ttl := time.Until(claims.ExpiresAt); ttl < 23*time.Hour || ttl > 25*time.Hour {
		t.Errorf("token lives %v, want 24h", ttl)
	}
	exp, err := time.Parse("2006-01-02T15:04:05.000Z", got.ExpiresAt)
	if err != nil || exp.Sub(claims.ExpiresAt).Abs() > 2*time.Second {
		t.Errorf("expiresAt %q (err %v) disagrees with exp %v", got.ExpiresAt, err, claims.ExpiresAt)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	c := cookies[0]
	if c.Name != "token" || c.Value != got.Token || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie %+v", c)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("a token response must not be cached")
	}
}

func TestDevTokenIssuerAudience(t *testing.T) {
	d := &DevTokens{Secret: []byte(testSecret), Issuer: "chatd-test", Audience: "web", TTL: time.Hour, Log: discard}
	rec := post(d, `{"name":"bob"}`, nil)
	var got devTokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: []byte(testSecret), Issuer: "chatd-test", Audience: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(got.Token); err != nil {
		t.Fatalf("a verifier requiring iss and aud refuses the token: %v", err)
	}
}

func TestDevTokenRefusals(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		header map[string]string
		want   int
	}{
		{"empty name", `{"name":"   "}`, nil, 400},
		{"bad characters", `{"name":"<script>"}`, nil, 400},
		{"too long", `{"name":"` + strings.Repeat("a", 40) + `"}`, nil, 400},
		{"not json", `name=alice`, nil, 400},
		{"form content type", `{"name":"alice"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"cross-site origin", `{"name":"alice"}`, map[string]string{"Origin": "http://evil.test"}, 403},
		{"cross-site fetch", `{"name":"alice"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"huge body", `{"name":"` + strings.Repeat("a", maxDevTokenBody) + `"}`, nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(newDevTokens(), tt.body, tt.header)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if len(rec.Result().Cookies()) != 0 {
				t.Error("a refused request set a cookie")
			}
			if !strings.Contains(rec.Body.String(), `"error"`) {
				t.Errorf("body %q has no error", rec.Body)
			}
		})
	}
}

func TestDevTokenMethods(t *testing.T) {
	d := newDevTokens()
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, DevTokenPath, nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"enabled":true`) {
		t.Errorf("GET: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, DevTokenPath, nil))
	c := rec.Result().Cookies()
	if rec.Code != http.StatusNoContent || len(c) != 1 || c[0].Name != "token" || c[0].MaxAge >= 0 {
		t.Errorf("DELETE: %d, cookies %v; want 204 expiring the cookie", rec.Code, c)
	}
	rec = httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, DevTokenPath, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
		t.Errorf("PUT: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, name, id string }{
		{"alice", "alice", "alice"},
		{"Alice Smith", "Alice Smith", "alice-smith"},
		{"  bob\t\tjones ", "bob jones", "bob-jones"},
		{"carol.o_k-1", "carol.o_k-1", "carol.o_k-1"},
	}
	for _, tt := range tests {
		name, id, err := NormalizeName(tt.in)
		if err != nil || name != tt.name || id != tt.id {
			t.Errorf("NormalizeName(%q) = %q, %q, %v; want %q, %q", tt.in, name, id, err, tt.name, tt.id)
		}
	}
	for _, bad := range []string{"", "   ", "-dash", "émile", "a/b", "x@y", strings.Repeat("z", 33)} {
		if _, id, err := NormalizeName(bad); err == nil {
			t.Errorf("NormalizeName(%q) accepted as %q", bad, id)
		}
	}
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"alice", "Alice Smith", " x ", "émile", "\x00", strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, id, err := NormalizeName(raw)
		if err != nil {
			return
		}
		if !userIDPattern.MatchString(id) {
			t.Fatalf("user id %q of %q breaks the pattern", id, raw)
		}
		if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameLen || strings.TrimSpace(name) != name {
			t.Fatalf("display name %q of %q", name, raw)
		}
		// Normalizing is idempotent: the name maps to the same id again.
		if _, id2, err := NormalizeName(name); err != nil || id2 != id {
			t.Fatalf("renormalizing %q: %q, %v; want %q", name, id2, err, id)
		}
	})
}
