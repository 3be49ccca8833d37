package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startPrograms serves both programs on loopback ports until the test ends.
func startPrograms(t *testing.T) (suiteURL, clientURL string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	progs := []program{newProtocolSuiteProgram("", log), newClientSuiteProgram("", log)}
	lns := make([]net.Listener, len(progs))
	for i := range progs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, progs, lns, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + lns[0].Addr().String(), "http://" + lns[1].Addr().String()
}

// pollingClient drives one Engine.IO long-polling session by hand.
type pollingClient struct {
	t    *testing.T
	base string
	sid  string
}

// openPolling opens a session at base+path ("/socket.io/" or "/engine.io/").
func openPolling(t *testing.T, base, path string) *pollingClient {
	t.Helper()
	c := &pollingClient{t: t, base: base + path + "?EIO=4&transport=polling"}
	body := c.get()
	const prefix = `0{"sid":"`
	if !strings.HasPrefix(body, prefix) {
		t.Fatalf("handshake = %q", body)
	}
	c.sid = strings.SplitN(body[len(prefix):], `"`, 2)[0]
	c.base += "&sid=" + c.sid
	return c
}

func (c *pollingClient) get() string {
	c.t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(c.base)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %d %q %v", c.base, resp.StatusCode, b, err)
	}
	return string(b)
}

func (c *pollingClient) post(payload string) {
	c.t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(c.base, "text/plain;charset=UTF-8", strings.NewReader(payload))
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("POST %q: status %d", payload, resp.StatusCode)
	}
}

func TestProtocolSuiteProgram(t *testing.T) {
	suite, _ := startPrograms(t)
	c := openPolling(t, suite, "/socket.io/")
	c.post(`40{"token":"a<b"}`)
	packets := strings.Split(c.get(), "\x1e")
	if len(packets) != 2 || !strings.HasPrefix(packets[0], `40{"sid":"`) {
		t.Fatalf("CONNECT reply = %q", packets)
	}
	if want := `42["auth",{"token":"a<b"}]`; packets[1] != want {
		t.Errorf("auth = %q, want %q", packets[1], want)
	}
	c.post(`42["message",1,"2",{"3":[true]}]`)
	if got, want := c.get(), `42["message-back",1,"2",{"3":[true]}]`; got != want {
		t.Errorf("echo = %q, want %q", got, want)
	}
	c.post(`4212["message-with-ack","x"]`)
	if got, want := c.get(), `4312["x"]`; got != want {
		t.Errorf("ack = %q, want %q", got, want)
	}
}

func TestEngineIOEcho(t *testing.T) {
	suite, _ := startPrograms(t)
	c := openPolling(t, suite, "/engine.io/")
	c.post("4hello\x1ebAQIDBA==")
	if got, want := c.get(), "4hello\x1ebAQIDBA=="; got != want {
		t.Errorf("echo = %q, want %q", got, want)
	}
}

func TestClientSuiteProgram(t *testing.T) {
	_, client := startPrograms(t)
	c := openPolling(t, client, "/socket.io/")
	c.post("40/foo,")
	connect := c.get()
	const prefix = `40/foo,{"sid":"`
	if !strings.HasPrefix(connect, prefix) {
		t.Fatalf("CONNECT reply = %q", connect)
	}
	id := strings.SplitN(connect[len(prefix):], `"`, 2)[0]
	c.post(`42/foo,7["getId"]`)
	if got, want := c.get(), `43/foo,7["`+id+`"]`; got != want {
		t.Errorf("getId ack = %q, want %q", got, want)
	}
	c.post(`40/no,`)
	if got, want := c.get(), `44/no,{"message":"Auth failed (custom namespace)"}`; got != want {
		t.Errorf("/no = %q, want %q", got, want)
	}
	c.post(`40/e2e-refuse,{"u":1}`)
	if got, want := c.get(), `44/e2e-refuse,{"message":"refused by /e2e-refuse","data":{"code":4242,"auth":{"u":1}}}`; got != want {
		t.Errorf("/e2e-refuse = %q, want %q", got, want)
	}
}
