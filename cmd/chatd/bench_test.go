package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/loadgen"
)

// benchServer starts an in-process chatd whose limits let a load test through.
func benchServer(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, map[string]string{
		"CHATD_LOG_LEVEL":        "warn",
		"CHATD_RATE_MESSAGES":    "1000000",
		"CHATD_RATE_BURST":       "1000000",
		"CHATD_RATE_JOINS":       "1000000",
		"CHATD_RATE_CONNECTIONS": "1000000",
	})
}

// runBenchCmd runs chatd bench with args against ts and decodes its JSON line.
func runBenchCmd(t *testing.T, ts *testServer, args ...string) (loadgen.Result, result) {
	t.Helper()
	args = append([]string{"bench"}, args...)
	args = append(args, "--url", ts.base, "--json")
	r := invoke(t, map[string]string{"CHATD_JWT_SECRET": testSecret}, args...)
	var res loadgen.Result
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 1 {
		t.Fatalf("chatd %s: exit %d, want one line on stdout, got %q (stderr %q)", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	if err := json.Unmarshal([]byte(lines[0]), &res); err != nil {
		t.Fatalf("stdout is not a JSON result: %v: %q", err, r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("--json must keep stderr quiet, got %q", r.stderr)
	}
	return res, r
}

func TestBenchFanout(t *testing.T) {
	ts := benchServer(t)
	for _, mode := range [][]string{
		{"--inflight", "4"},
		{"--rate", "300"},
	} {
		args := append([]string{"fanout", "--rooms", "2", "--members", "3", "--publishers", "2",
			"--warmup", "200ms", "--duration", "1s"}, mode...)
		res, r := runBenchCmd(t, ts, args...)
		f := res.Fanout
		if r.code != exitOK || !res.OK || f == nil {
			t.Fatalf("%v: exit %d, errors %v %s", mode, r.code, res.Errors, res.ErrorSample)
		}
		if f.Expected == 0 || f.Delivered != f.Expected || f.Acked != f.Sent || f.Expected != 2*f.Acked {
			t.Errorf("%v: sent %d acked %d expected %d delivered %d", mode, f.Sent, f.Acked, f.Expected, f.Delivered)
		}
		if f.DeliveryLatency.Count == 0 || f.DeliveryLatency.P99 <= 0 {
			t.Errorf("%v: no delivery latency: %+v", mode, f.DeliveryLatency)
		}
	}
}

func TestBenchIdleConnectHistory(t *testing.T) {
	ts := benchServer(t)
	res, r := runBenchCmd(t, ts, "idle", "--conns", "20", "--rooms", "2", "--duration", "300ms")
	if r.code != exitOK || !res.OK || res.Idle == nil || res.Idle.Conns != 20 {
		t.Errorf("idle: exit %d %+v %v", r.code, res.Idle, res.Errors)
	}
	res, r = runBenchCmd(t, ts, "connect", "--concurrency", "4", "--warmup", "200ms", "--duration", "500ms")
	if r.code != exitOK || !res.OK || res.Connect == nil || res.Connect.Handshakes == 0 {
		t.Errorf("connect: exit %d %+v %v", r.code, res.Connect, res.Errors)
	}
	res, r = runBenchCmd(t, ts, "history", "--prefill", "500", "--limit", "20", "--concurrency", "2",
		"--warmup", "200ms", "--duration", "500ms")
	if r.code != exitOK || !res.OK || res.History == nil || res.History.Pages == 0 {
		t.Errorf("history: exit %d %+v %v %s", r.code, res.History, res.Errors, res.ErrorSample)
	}
}

func TestBenchFailsOnErrors(t *testing.T) {
	// The default message limit (10/s, burst 20) refuses most of a closed loop: the run
	// completes, counts the refusals, and exits 1.
	ts := startServer(t, map[string]string{"CHATD_LOG_LEVEL": "warn"})
	res, r := runBenchCmd(t, ts, "fanout", "--rooms", "1", "--members", "2", "--warmup", "100ms", "--duration", "500ms")
	if r.code != exitFailure || res.OK || res.Errors["refused:rate_limited"] == 0 {
		t.Fatalf("exit %d, ok %v, errors %v; want exit 1 and rate_limited refusals", r.code, res.OK, res.Errors)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"bench"}, nil, "needs a scenario"},
		{[]string{"bench", "storm"}, nil, `unknown scenario "storm"`},
		{[]string{"bench", "fanout"}, nil, "--secret or CHATD_JWT_SECRET"},
		{[]string{"bench", "fanout", "--rooms", "many"}, nil, "want a whole number"},
		{[]string{"bench", "fanout", "extra"}, map[string]string{"CHATD_JWT_SECRET": "s"}, `unexpected argument "extra"`},
	} {
		r := invoke(t, tt.vars, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	r := invoke(t, nil, "bench", "--help")
	if r.code != exitOK || !strings.Contains(r.stdout, "Scenarios:") || !strings.Contains(r.stdout, "-inflight") {
		t.Errorf("help: exit %d %q", r.code, r.stdout)
	}
}

func TestBenchListFlags(t *testing.T) {
	parse := func(args ...string) (benchConfig, error) {
		var bc benchConfig
		fs := benchFlags(&bc)
		fs.SetOutput(io.Discard)
		return bc, fs.Parse(args)
	}
	bc, err := parse()
	if err != nil || !slices.Equal(bc.opts.URLs, []string{"http://127.0.0.1:8080"}) || bc.opts.ServerPIDs != nil {
		t.Errorf("defaults: %v %v %v", bc.opts.URLs, bc.opts.ServerPIDs, err)
	}
	bc, err = parse("--url", "http://a:1, http://b:2", "--url", "https://c:3",
		"--server-pid", "10,11", "--server-pid", "12", "--watch-pid", "7")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://a:1", "http://b:2", "https://c:3"}; !slices.Equal(bc.opts.URLs, want) {
		t.Errorf("urls %v, want %v: the first --url replaces the default, later ones add", bc.opts.URLs, want)
	}
	if !slices.Equal(bc.opts.ServerPIDs, []int{10, 11, 12}) || !slices.Equal(bc.opts.WatchPIDs, []int{7}) {
		t.Errorf("server pids %v, watch pids %v", bc.opts.ServerPIDs, bc.opts.WatchPIDs)
	}
	for _, bad := range [][]string{
		{"--url", "http://a:1,"},
		{"--url", "a:1"},
		{"--server-pid", "1,x"},
		{"--watch-pid", "0"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestBenchFanoutSeveralURLs(t *testing.T) {
	// The same server twice stands for two nodes (runBenchCmd adds the second --url):
	// sessions alternate between the URLs and every delivery must still arrive.
	ts := benchServer(t)
	res, r := runBenchCmd(t, ts, "fanout", "--rooms", "2", "--members", "3", "--warmup", "100ms",
		"--duration", "500ms", "--url", ts.base)
	if r.code != exitOK || !res.OK || len(res.URLs) != 2 || res.Fanout.Delivered != res.Fanout.Expected {
		t.Errorf("exit %d, ok %v, urls %v, errors %v", r.code, res.OK, res.URLs, res.Errors)
	}
}

func TestBenchWindowHook(t *testing.T) {
	ts := benchServer(t)
	marks := filepath.Join(t.TempDir(), "marks")
	res, r := runBenchCmd(t, ts, "fanout", "--rooms", "1", "--members", "2", "--warmup", "100ms",
		"--duration", "300ms", "--window-hook", `echo "$BENCH_WINDOW" >>`+marks)
	if r.code != exitOK || !res.OK {
		t.Fatalf("exit %d, errors %v", r.code, res.Errors)
	}
	b, err := os.ReadFile(marks)
	if err != nil || string(b) != "start\nend\n" {
		t.Errorf("the hook wrote %q (%v), want start then end", b, err)
	}
	res, r = runBenchCmd(t, ts, "fanout", "--rooms", "1", "--members", "2", "--warmup", "100ms",
		"--duration", "300ms", "--window-hook", "exit 3")
	if r.code != exitFailure || res.Errors["window_hook"] != 2 {
		t.Errorf("failing hook: exit %d, errors %v; want exit 1 and 2 window_hook errors", r.code, res.Errors)
	}
}
