package webui

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var discard = slog.New(slog.DiscardHandler)

// builtFS is a build output as web/build.mjs writes it.
func builtFS() fstest.MapFS {
	js := "console.log('chat');" + strings.Repeat("/* padding so that gzip pays */", 64)
	return fstest.MapFS{
		"index.html":                 {Data: []byte(`<!doctype html><script type="module" src="/assets/app-ABCD2345.js"></script>`)},
		"assets/app-ABCD2345.js":     {Data: []byte(js)},
		"assets/app-WXYZ6789.css":    {Data: []byte("body{color:red}")},
		"assets/app-ABCD2345.js.map": {Data: []byte("{}")},
		"README.md":                  {Data: []byte("placeholder")},
	}
}

func newTestSite(t *testing.T, fsys fstest.MapFS) *Site {
	t.Helper()
	s, err := newSite(fsys, discard)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serve(s http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func TestSiteServesIndexRevalidated(t *testing.T) {
	s := newTestSite(t, builtFS())
	if !s.Built() {
		t.Fatal("Built() = false with an index.html")
	}
	for _, path := range []string{"/", "/index.html"} {
		rec := serve(s, http.MethodGet, path, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "app-ABCD2345.js") {
			t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Body)
		}
		h := rec.Header()
		if h.Get("Cache-Control") != "no-cache" || h.Get("ETag") == "" {
			t.Errorf("GET %s: Cache-Control %q, ETag %q; want no-cache with an ETag", path, h.Get("Cache-Control"), h.Get("ETag"))
		}
		if h.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, h.Get("Content-Type"))
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self' ws: wss:", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP %q allows inline code", csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("no nosniff")
		}
	}
}

func TestSiteConditionalGet(t *testing.T) {
	s := newTestSite(t, builtFS())
	etag := serve(s, http.MethodGet, "/", nil).Header().Get("ETag")
	rec := serve(s, http.MethodGet, "/", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match with the current ETag: %d, %d bytes; want 304", rec.Code, rec.Body.Len())
	}
	if rec := serve(s, http.MethodGet, "/", map[string]string{"If-None-Match": `"stale"`}); rec.Code != 200 {
		t.Fatalf("If-None-Match with a stale ETag: %d, want 200", rec.Code)
	}
}

func TestSiteHashedAssetsAreImmutable(t *testing.T) {
	s := newTestSite(t, builtFS())
	rec := serve(s, http.MethodGet, "/assets/app-WXYZ6789.css", nil)
	if rec.Code != 200 || rec.Body.String() != "body{color:red}" {
		t.Fatalf("GET css: %d %q", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("hashed asset Cache-Control %q", cc)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("css Content-Type %q", ct)
	}
	if rec.Header().Get("Content-Security-Policy") != "" {
		t.Error("assets need no CSP of their own")
	}
	// A name without a content hash may change between builds: revalidate it.
	if cc := serve(s, http.MethodGet, "/assets/app-ABCD2345.js.map", nil).Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unhashed asset Cache-Control %q, want no-cache", cc)
	}
}

func TestSiteGzip(t *testing.T) {
	s := newTestSite(t, builtFS())
	plain := serve(s, http.MethodGet, "/assets/app-ABCD2345.js", nil)
	if plain.Header().Get("Content-Encoding") != "" || !strings.HasPrefix(plain.Body.String(), "console.log") {
		t.Fatalf("without Accept-Encoding: encoding %q", plain.Header().Get("Content-Encoding"))
	}
	rec := serve(s, http.MethodGet, "/assets/app-ABCD2345.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("with gzip: encoding %q, vary %q", rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"))
	}
	if rec.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("the gzip encoding must have its own ETag")
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || string(body) != plain.Body.String() {
		t.Fatalf("gunzipped body differs (err %v)", err)
	}
	if rec.Body.Len() >= plain.Body.Len() {
		t.Error("gzip did not shrink the asset")
	}
	refused := serve(s, http.MethodGet, "/assets/app-ABCD2345.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if refused.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 must not get gzip")
	}
}

func TestSiteNotFound(t *testing.T) {
	s := newTestSite(t, builtFS())
	for _, path := range []string{"/assets/nope.js", "/README.md", "/assets/", "/assets/../index.html"} {
		if rec := serve(s, http.MethodGet, path, nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

func TestSitePlaceholderWithoutBuild(t *testing.T) {
	s := newTestSite(t, fstest.MapFS{"README.md": {Data: []byte("placeholder")}})
	if s.Built() {
		t.Fatal("Built() = true without index.html")
	}
	rec := serve(s, http.MethodGet, "/", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "make web") {
		t.Fatalf("placeholder: %d %q", rec.Code, rec.Body)
	}
	// The placeholder's one inline style is allowed by its hash, nothing else inline.
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "'"+placeholderStyleHash()+"'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("placeholder CSP %q", csp)
	}
}

func TestEmbeddedSiteLoads(t *testing.T) {
	// Whatever the embedded dist holds (a build, or only the placeholder README),
	// New must succeed and / must answer.
	s, err := New(discard)
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(s, http.MethodGet, "/", nil); rec.Code != 200 {
		t.Fatalf("GET /: %d", rec.Code)
	}
}

func TestMediaType(t *testing.T) {
	tests := map[string]string{
		"a.js": "text/javascript; charset=utf-8", "a.css": "text/css; charset=utf-8",
		"index.html": "text/html; charset=utf-8", "x.svg": "image/svg+xml", "x.bin": "application/octet-stream",
	}
	for name, want := range tests {
		if got := mediaType(name); got != want {
			t.Errorf("mediaType(%q) = %q, want %q", name, got, want)
		}
	}
}

func BenchmarkSiteAsset(b *testing.B) {
	s, err := newSite(builtFS(), discard)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/assets/app-ABCD2345.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		s.ServeHTTP(httptest.NewRecorder(), req)
	}
}
