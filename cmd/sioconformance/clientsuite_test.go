package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestIsAttachment(t *testing.T) {
	two := [][]byte{{1}, {2}}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"_placeholder":true,"num":0}`, true},
		{`{"_placeholder":true,"num":1}`, true},
		{`{"_placeholder":true,"num":2}`, false},
		{`{"_placeholder":true,"num":-1}`, false},
		{`{"_placeholder":true}`, false},
		{`{"_placeholder":false,"num":0}`, false},
		{`{"num":0}`, false},
		{`"asdf"`, false},
		{`[1]`, false},
		{``, false},
	} {
		if got := isAttachment(json.RawMessage(tc.in), two); got != tc.want {
			t.Errorf("isAttachment(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestIsFiveAndTest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{`5`, `{"test":true}`}, true},
		{[]string{`5`, `{"test":"x"}`}, true},
		{[]string{`5.0`, `{"test":1}`}, true},
		{[]string{`5`, `{"test":false}`}, false},
		{[]string{`5`, `{"test":0}`}, false},
		{[]string{`5`, `{"test":""}`}, false},
		{[]string{`5`, `{}`}, false},
		{[]string{`4`, `{"test":true}`}, false},
		{[]string{`"5"`, `{"test":true}`}, false},
		{[]string{`5`}, false},
	} {
		args := make([]json.RawMessage, len(tc.args))
		for i, a := range tc.args {
			args[i] = json.RawMessage(a)
		}
		if got := isFiveAndTest(args); got != tc.want {
			t.Errorf("isFiveAndTest(%v) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestJSDate(t *testing.T) {
	in := time.Date(2026, 11, 26, 13, 4, 5, 7_000_000, time.FixedZone("X", 3600))
	if got, want := jsDate(in), "2026-11-26T12:04:05.007Z"; got != want {
		t.Errorf("jsDate = %q, want %q", got, want)
	}
}

func TestFlattenHeaders(t *testing.T) {
	h := http.Header{"X-Custom": {"a", "b"}, "Origin": {"http://x"}}
	got := flattenHeaders(h)
	if got["x-custom"] != "a, b" || got["origin"] != "http://x" || len(got) != 2 {
		t.Errorf("flattenHeaders = %v", got)
	}
}

func TestRemoteHost(t *testing.T) {
	if got := remoteHost("127.0.0.1:5000"); got != "127.0.0.1" {
		t.Errorf("remoteHost = %q", got)
	}
	if got := remoteHost("pipe"); got != "pipe" {
		t.Errorf("remoteHost = %q", got)
	}
}
