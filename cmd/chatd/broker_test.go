package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

type fakeBroker struct{ err error }

func (f *fakeBroker) Ready(context.Context) error { return f.err }

func TestReadyzChecksBroker(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"relaying", nil, 200, "ok\n"},
		{"broker down", errors.New("redis subscription is not live"), 503, "broker unavailable\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &health{store: &fakeStore{}, broker: &fakeBroker{err: tt.err}, log: slog.New(slog.DiscardHandler)}
			w := httptest.NewRecorder()
			h.readyz(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("readyz: %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
}

// testRedisURL is the Redis of the tests, as in internal/broker: CHATD_TEST_REDIS or
// the local default; "skip" skips.
func testRedisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("CHATD_TEST_REDIS")
	if url == "skip" {
		t.Skip("CHATD_TEST_REDIS=skip")
	}
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	return url
}

func TestServeWithRedisBroker(t *testing.T) {
	ts := startServer(t, map[string]string{"CHATD_BROKER": testRedisURL(t)})
	deadline := time.Now().Add(5 * time.Second)
	status, body := ts.get(t, "/readyz")
	for status != 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		status, body = ts.get(t, "/readyz")
	}
	if status != 200 {
		t.Fatalf("GET /readyz with redis up: %d %q: %s", status, body, ts.stderr)
	}
	if _, metrics := ts.get(t, "/metrics"); !strings.Contains(metrics, "chatd_broker_published_total") {
		t.Error("metrics lack the broker counters")
	}
	if code := ts.stop(t); code != 0 {
		t.Errorf("exit code %d: %s", code, ts.stderr)
	}
}

func TestServeWithRedisDown(t *testing.T) {
	testRedisURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	ts := startServer(t, map[string]string{"CHATD_BROKER": "redis://" + addr + "/0"})
	if status, body := ts.get(t, "/readyz"); status != 503 || body != "broker unavailable\n" {
		t.Errorf("GET /readyz with redis down: %d %q", status, body)
	}
	if status, _ := ts.get(t, "/healthz"); status != 200 {
		t.Errorf("GET /healthz with redis down: %d, want 200 (the node serves local rooms)", status)
	}
	if code := ts.stop(t); code != 0 {
		t.Errorf("exit code %d: %s", code, ts.stderr)
	}
}
