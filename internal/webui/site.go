package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

//go:embed all:dist
var embedded embed.FS

// Patterns are the ServeMux patterns a Site answers; chatd registers the Site for
// each of them.
var Patterns = []string{"GET /{$}", "GET /index.html", "GET /assets/"}

// hashedName matches the content-hashed file names of the build (app-6KWMSXM6.js):
// such a file never changes, so it may be cached for good.
var hashedName = regexp.MustCompile(`-[A-Z0-9]{8}\.[a-z]+$`)

// minGzipSize is the smallest asset worth compressing.
const minGzipSize = 1024

// file is one asset held in memory, with its precomputed gzip encoding.
type file struct {
	body      []byte
	gz        []byte // nil when compression does not pay
	etag      string // strong ETag of body
	mediaType string
	immutable bool // content-hashed name
}

// Site serves the embedded chat page. It is immutable after New and safe for
// concurrent use.
type Site struct {
	files   map[string]*file // by URL path, "/index.html", "/assets/…"
	index   *file            // the page for "/", or the placeholder
	csp     string
	log     *slog.Logger
	modTime time.Time
}

// New loads the embedded build. A build without index.html yields the placeholder
// page, so a binary built without Node still starts.
func New(log *slog.Logger) (*Site, error) {
	sub, err := fs.Sub(embedded, "dist")
	if err != nil {
		return nil, fmt.Errorf("open embedded assets: %w", err)
	}
	return newSite(sub, log)
}

// newSite loads the assets of fsys (a build output directory).
func newSite(fsys fs.FS, log *slog.Logger) (*Site, error) {
	s := &Site{files: map[string]*file{}, log: log, csp: pageCSP(""), modTime: time.Now()}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") || p == "README.md" {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read asset %s: %w", p, err)
		}
		s.files["/"+p] = newFile(p, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	s.index = s.files["/index.html"]
	if s.index == nil {
		s.index = newFile("index.html", []byte(placeholderPage))
		s.csp = pageCSP(placeholderStyleHash())
		log.Warn("web assets are not built: / shows how to build them (make web)")
	}
	return s, nil
}

func newFile(name string, body []byte) *file {
	sum := sha256.Sum256(body)
	f := &file{
		body:      body,
		etag:      `"` + hex.EncodeToString(sum[:12]) + `"`,
		mediaType: mediaType(name),
		immutable: hashedName.MatchString(path.Base(name)),
	}
	if len(body) >= minGzipSize && compressible(f.mediaType) {
		f.gz = gzipBytes(body)
	}
	return f
}

// Built reports whether the real page is embedded, rather than the placeholder.
func (s *Site) Built() bool { return s.files["/index.html"] != nil }

// ServeHTTP serves "/" and "/index.html" as the page and "/assets/…" from the build.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := s.files[r.URL.Path]
	if r.URL.Path == "/" || r.URL.Path == "/index.html" {
		f = s.index
	}
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	securityHeaders(h)
	if f == s.index {
		h.Set("Content-Security-Policy", s.csp)
	}
	if f.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache") // revalidate: the ETag makes that cheap
	}
	h.Set("Content-Type", f.mediaType)
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", s.modTime, bytes.NewReader(body))
}

// securityHeaders are sent with every response of the site.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// pageCSP is the page's Content-Security-Policy: its own scripts and styles only,
// Socket.IO to this server over HTTP or WebSocket, and images from anywhere on the web
// (attachments are links to http(s) URLs). styleHash, when set, allows one inline style.
func pageCSP(styleHash string) string {
	style := "'self'"
	if styleHash != "" {
		style += " '" + styleHash + "'"
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src " + style,
		"img-src 'self' https: http: data:",
		"connect-src 'self' ws: wss:",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(b)                                       // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return buf.Bytes()
}

// mediaType names the content type of a build file by its extension. The list is
// fixed rather than read from the system's MIME database so that every machine serves
// the same headers.
func mediaType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

func compressible(mediaType string) bool {
	return strings.HasPrefix(mediaType, "text/") || mediaType == "application/json" || mediaType == "image/svg+xml"
}

// placeholderStyle is the one inline style of the placeholder page, allowed by hash.
const placeholderStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:12vh auto;padding:0 1.5rem;` +
	`color:#e6e9ef;background:#0f1218}code{background:#1b212b;padding:2px 6px;border-radius:6px}`

func placeholderStyleHash() string {
	sum := sha256.Sum256([]byte(placeholderStyle))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// placeholderPage is served at / by a binary built before the web assets.
const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>chatd: web assets not built</title><style>` + placeholderStyle + `</style></head>
<body><h1>chatd is running</h1>
<p>The Socket.IO endpoint works, but this binary was built without the chat page.</p>
<p>Build the page with <code>make web</code> (it needs Node.js and npm), then rebuild or
restart chatd (<code>make run</code> does both).</p>
<p>To turn this page off, set <code>--web=false</code> (<code>CHATD_WEB=false</code>).</p>
</body></html>
`
