package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// result is the outcome of one chatd invocation.
type result struct {
	code           int
	stdout, stderr string
}

// env returns a getenv over vars; nothing else of the real environment leaks in.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// invoke runs chatd with args and vars as its whole environment.
func invoke(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, env(vars), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestUnknownCommand(t *testing.T) {
	r := invoke(t, nil, "frobnicate")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Fatalf("got %d %q, want exit 2 naming the command", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := invoke(t, nil, "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "chatd ") {
		t.Fatalf("got %d %q", r.code, r.stdout)
	}
	if r := invoke(t, nil, "version", "extra"); r.code != exitUsage {
		t.Fatalf("version with an argument: got exit %d, want 2", r.code)
	}
}
