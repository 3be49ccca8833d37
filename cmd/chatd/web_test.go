package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

// postJSON posts body to path as a same-origin JSON request.
func postJSON(t *testing.T, ts *testServer, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestWebPageServedByDefault(t *testing.T) {
	ts := startServer(t, nil)
	status, body := ts.get(t, "/")
	if status != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("GET /: %d %.200q", status, body)
	}
	// Socket.IO and the probes still answer beside the page.
	if status, _ := ts.get(t, "/healthz"); status != 200 {
		t.Errorf("GET /healthz: %d", status)
	}
	if status, body := ts.get(t, "/socket.io/?EIO=4&transport=polling"); status != 200 || !strings.HasPrefix(body, "0{") {
		t.Errorf("Socket.IO handshake beside the page: %d %.80q", status, body)
	}
	if status, _ := ts.get(t, "/nope"); status != 404 {
		t.Errorf("GET /nope: %d, want 404", status)
	}
}

func TestWebPageOff(t *testing.T) {
	ts := startServer(t, map[string]string{"CHATD_WEB": "false", "CHATD_DEV": "true"})
	if status, _ := ts.get(t, "/"); status != 404 {
		t.Errorf("GET / with --web=false: %d, want 404", status)
	}
	if status, _ := postJSON(t, ts, "/dev/token", `{"name":"alice"}`); status != 404 {
		t.Errorf("POST /dev/token with --web=false: %d, want 404", status)
	}
}

func TestDevTokenOnlyInDevelopmentMode(t *testing.T) {
	prod := startServer(t, nil) // a configured secret and no --dev: production
	if status, _ := postJSON(t, prod, "/dev/token", `{"name":"alice"}`); status != 404 {
		t.Errorf("production POST /dev/token: %d, want 404", status)
	}

	dev := startServer(t, map[string]string{"CHATD_DEV": "true"})
	status, body := postJSON(t, dev, "/dev/token", `{"name":"Alice"}`)
	if status != 200 {
		t.Fatalf("development POST /dev/token: %d %s", status, body)
	}
	var got struct{ Token, UserID string }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	c := verify(t, []byte(testSecret), got.Token) // signed with the server's secret
	if c.Subject != "alice" || got.UserID != "alice" {
		t.Errorf("sub %q, userId %q; want alice", c.Subject, got.UserID)
	}
}

func TestDevTokenWithGeneratedSecret(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, map[string]string{"CHATD_JWT_SECRET": "", "CHATD_DATA_DIR": dir})
	status, body := postJSON(t, ts, "/dev/token", `{"name":"bob"}`)
	if status != 200 {
		t.Fatalf("POST /dev/token: %d %s", status, body)
	}
	var got struct{ Token string }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	secret, created, err := auth.LoadOrCreateSecret(filepath.Join(dir, secretFile))
	if err != nil || created {
		t.Fatalf("generated secret: created=%v err=%v", created, err)
	}
	if c := verify(t, secret, got.Token); c.Subject != "bob" {
		t.Errorf("sub %q", c.Subject)
	}
}
