package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/store"
)

// testSecret is the HS256 secret of the test servers.
const testSecret = "serve-test-secret-0123456789abcdef0123456789"

// syncBuffer is a bytes.Buffer safe for the server's logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a chatd serving in the background on a loopback port.
type testServer struct {
	base   string // "http://127.0.0.1:port"
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int // the exit code
}

// startServer runs chatd serve with an in-memory store and vars over the test
// defaults. It fails the test if the server does not listen.
func startServer(t *testing.T, vars map[string]string, args ...string) *testServer {
	t.Helper()
	all := map[string]string{
		"CHATD_ADDR":       "127.0.0.1:0",
		"CHATD_DB":         ":memory:",
		"CHATD_JWT_SECRET": testSecret,
		"CHATD_DATA_DIR":   t.TempDir(),
		"CHATD_LOG_LEVEL":  "debug",
	}
	for k, v := range vars {
		all[k] = v
	}
	addr := make(chan net.Addr, 1)
	ts := &testServer{stderr: &syncBuffer{}, done: make(chan int, 1)}
	c := &cli{env: env(all), stdout: io.Discard, stderr: ts.stderr, onListen: func(a net.Addr) { addr <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() { ts.done <- c.run(ctx, append([]string{"serve"}, args...)) }()
	select {
	case a := <-addr:
		ts.base = "http://" + a.String()
	case code := <-ts.done:
		cancel()
		t.Fatalf("chatd exited with %d before listening: %s", code, ts.stderr)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("chatd did not listen: %s", ts.stderr)
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop cancels the server (like SIGTERM) and returns its exit code; later calls return
// the same code.
func (ts *testServer) stop(t *testing.T) int {
	t.Helper()
	ts.cancel()
	select {
	case code := <-ts.done:
		ts.done <- code
		return code
	case <-time.After(15 * time.Second):
		t.Fatalf("chatd did not stop: %s", ts.stderr)
		return -1
	}
}

// get fetches path and returns the status and body.
func (ts *testServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return ts.do(t, http.MethodGet, path, "")
}

func (ts *testServer) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

func TestServeEndpoints(t *testing.T) {
	ts := startServer(t, nil)
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, "ok\n"},
		{"/readyz", 200, "ok\n"},
		{"/debug/pprof/", 404, ""},
	} {
		status, body := ts.get(t, tt.path)
		if status != tt.status || (tt.body != "" && body != tt.body) {
			t.Errorf("GET %s: %d %q, want %d %q", tt.path, status, body, tt.status, tt.body)
		}
	}
	status, body := ts.get(t, "/metrics")
	for _, want := range []string{"go_goroutines", "process_cpu_seconds_total", "chatd_connections", `chatd_sockets{namespace="/chat"}`} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("GET /metrics: %d, lacks %q", status, want)
		}
	}
	if code := ts.stop(t); code != exitOK {
		t.Fatalf("exit %d after cancel, want 0: %s", code, ts.stderr)
	}
	logs := ts.stderr.String()
	if !strings.Contains(logs, "chatd listening") || !strings.Contains(logs, "mode=production") {
		t.Errorf("startup log lacks the address or mode: %s", logs)
	}
	if strings.Contains(logs, testSecret) {
		t.Error("the secret must never be logged")
	}
}

// handshake opens an Engine.IO polling session and returns its sid.
func handshake(t *testing.T, ts *testServer) string {
	t.Helper()
	status, body := ts.get(t, "/socket.io/?EIO=4&transport=polling")
	_, after, ok := strings.Cut(body, `"sid":"`)
	sid, _, _ := strings.Cut(after, `"`)
	if status != 200 || !strings.HasPrefix(body, "0{") || !ok || sid == "" {
		t.Fatalf("handshake: %d %q", status, body)
	}
	return sid
}

func TestServeNamespaces(t *testing.T) {
	ts := startServer(t, nil)
	for _, tt := range []struct {
		connect, want string
	}{
		{"40", `44{"message":"Invalid namespace"}`},
		{"40/admin,", `44/admin,{"message":"Invalid namespace"}`},
		// No token: /chat exists and its middleware refuses.
		{"40/chat,", `44/chat,{"message":"unauthorized"`},
	} {
		sid := handshake(t, ts)
		poll := "/socket.io/?EIO=4&transport=polling&sid=" + sid
		if status, body := ts.do(t, http.MethodPost, poll, tt.connect); status != 200 || body != "ok" {
			t.Fatalf("POST %q: %d %q", tt.connect, status, body)
		}
		if _, body := ts.get(t, poll); !strings.HasPrefix(body, tt.want) {
			t.Errorf("CONNECT %q answered %q, want %q…", tt.connect, body, tt.want)
		}
	}
}

func TestServeAuthenticatesChat(t *testing.T) {
	ts := startServer(t, nil)
	token, err := auth.Mint([]byte(testSecret), auth.MintOptions{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	sid := handshake(t, ts)
	poll := "/socket.io/?EIO=4&transport=polling&sid=" + sid
	if status, _ := ts.do(t, http.MethodPost, poll, `40/chat,{"token":"`+token+`"}`); status != 200 {
		t.Fatalf("POST CONNECT: %d", status)
	}
	if _, body := ts.get(t, poll); !strings.HasPrefix(body, `40/chat,{"sid":"`) {
		t.Fatalf("CONNECT with a valid token answered %q", body)
	}
	if _, metrics := ts.get(t, "/metrics"); !strings.Contains(metrics, `chatd_sockets{namespace="/chat"} 1`) {
		t.Errorf("metrics do not count the socket:\n%s", grepLines(metrics, "chatd_"))
	}
	if logs := ts.stderr.String(); strings.Contains(logs, token) {
		t.Error("tokens must never be logged")
	}
}

// grepLines returns the lines of s that contain substr.
func grepLines(s, substr string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestServePProf(t *testing.T) {
	ts := startServer(t, map[string]string{"CHATD_PPROF": "true"})
	if status, body := ts.get(t, "/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("GET /debug/pprof/: %d", status)
	}
}

func TestServeGeneratesDevSecret(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, map[string]string{"CHATD_JWT_SECRET": "", "CHATD_DATA_DIR": dir})
	secret, err := os.ReadFile(filepath.Join(dir, secretFile))
	if err != nil {
		t.Fatalf("no generated secret: %v", err)
	}
	if code := ts.stop(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	logs := ts.stderr.String()
	for _, want := range []string{"chatd token --sub alice", "mode=development"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q: %s", want, logs)
		}
	}
	if strings.Contains(logs, strings.TrimSpace(string(secret))) {
		t.Error("the generated secret must never be logged")
	}
}

func TestServeListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := invoke(t, map[string]string{
		"CHATD_ADDR": ln.Addr().String(), "CHATD_DB": ":memory:", "CHATD_JWT_SECRET": testSecret,
	})
	if r.code != exitFailure || !strings.Contains(r.stderr, "listen") {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming the listen failure", r.code, r.stderr)
	}
}

func TestServeBadKeyFile(t *testing.T) {
	pem := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(pem, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := invoke(t, map[string]string{"CHATD_ADDR": "127.0.0.1:0", "CHATD_DB": ":memory:", "CHATD_JWT_PUBLIC_KEY": pem})
	if r.code != exitUsage {
		t.Fatalf("exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}

// fakeStore is a store whose Ping answers pingErr; nothing else of it is used.
type fakeStore struct {
	store.Store
	pingErr error
}

func (f *fakeStore) Ping(context.Context) error { return f.pingErr }

func TestProbes(t *testing.T) {
	tests := []struct {
		name            string
		draining        bool
		pingErr         error
		healthz, readyz int
	}{
		{"serving", false, nil, 200, 200},
		{"store down", false, errors.New("disk on fire"), 200, 503},
		{"draining", true, nil, 503, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &health{store: &fakeStore{pingErr: tt.pingErr}, log: slog.New(slog.DiscardHandler)}
			h.draining.Store(tt.draining)
			for _, probe := range []struct {
				name string
				fn   http.HandlerFunc
				want int
			}{{"healthz", h.healthz, tt.healthz}, {"readyz", h.readyz, tt.readyz}} {
				w := httptest.NewRecorder()
				probe.fn(w, httptest.NewRequest(http.MethodGet, "/"+probe.name, nil))
				if w.Code != probe.want {
					t.Errorf("%s: status %d, want %d", probe.name, w.Code, probe.want)
				}
				if w.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("%s: probes must not be cached", probe.name)
				}
			}
		})
	}
}
