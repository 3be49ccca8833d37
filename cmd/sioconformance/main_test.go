package main

import (
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != ":3000" || cfg.clientSuiteAddr != ":3210" || cfg.debug {
		t.Errorf("defaults = %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-addr", "127.0.0.1:1", "-client-suite-addr", "", "-debug"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:1" || cfg.clientSuiteAddr != "" || !cfg.debug {
		t.Errorf("parsed = %+v", cfg)
	}
	if _, err := parseFlags([]string{"extra"}); err == nil {
		t.Error("a stray argument was accepted")
	}
}

func TestParseFlagsHelp(t *testing.T) {
	if _, err := parseFlags([]string{"-help"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("err = %v, want flag.ErrHelp", err)
	}
}

func TestDelayHandshakes(t *testing.T) {
	const delay = 50 * time.Millisecond
	h := delayHandshakes(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}), delay)
	for _, tc := range []struct {
		url     string
		delayed bool
	}{
		{"/socket.io/?EIO=4&transport=polling", true},
		{"/socket.io/?EIO=4&transport=polling&sid=abc", false},
	} {
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.url, nil))
		if rec.Body.String() != "ok" {
			t.Errorf("%s: body %q", tc.url, rec.Body.String())
		}
		// Only a lower bound: a handshake must never skip the delay.
		if tc.delayed && time.Since(start) < delay {
			t.Errorf("%s was not delayed", tc.url)
		}
	}
}
