package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/lxzan/gws"
)

// wsClient records what a WebSocket client receives and when it is closed.
type wsClient struct {
	gws.BuiltinEventHandler
	messages chan string
	closed   chan struct{}
}

func (c *wsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	c.messages <- m.Data.String()
	m.Close()
}

func (c *wsClient) OnClose(*gws.Conn, error) { close(c.closed) }

// next returns the next message, failing the test after a while.
func (c *wsClient) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-c.messages:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
		return ""
	}
}

func TestServeDrainsWebSockets(t *testing.T) {
	ts := startServer(t, nil)
	token, err := auth.Mint([]byte(testSecret), auth.MintOptions{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	client := &wsClient{messages: make(chan string, 16), closed: make(chan struct{})}
	url := strings.Replace(ts.base, "http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := gws.NewClient(client, &gws.ClientOption{Addr: url})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	go conn.ReadLoop()
	defer conn.NetConn().Close()
	if open := client.next(t); !strings.HasPrefix(open, "0{") {
		t.Fatalf("first message %q, want the OPEN packet", open)
	}
	if err := conn.WriteString(`40/chat,{"token":"` + token + `"}`); err != nil {
		t.Fatal(err)
	}
	if connected := client.next(t); !strings.HasPrefix(connected, `40/chat,{"sid":"`) {
		t.Fatalf("CONNECT answered %q", connected)
	}
	if code := ts.stop(t); code != exitOK {
		t.Fatalf("exit %d: %s", code, ts.stderr)
	}
	select {
	case <-client.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the WebSocket is still open after the drain")
	}
}

func TestServeDrainsLongPolls(t *testing.T) {
	ts := startServer(t, nil)
	sid := handshake(t, ts)
	// A GET with nothing to deliver waits for the next ping (25s by default): the drain
	// must end it rather than wait for it.
	polled := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, ts.base+"/socket.io/?EIO=4&transport=polling&sid="+sid, nil)
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			polled <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		polled <- string(b)
	}()
	time.Sleep(100 * time.Millisecond) // let the GET reach the server and park
	if code := ts.stop(t); code != exitOK {
		t.Fatalf("exit %d, want 0: %s", code, ts.stderr)
	}
	select {
	case body := <-polled:
		if body != "1" { // the Engine.IO CLOSE packet: the client reconnects elsewhere
			t.Errorf("pending poll ended with %q, want a close packet", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending long poll still open after the drain")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(ts.base, "http://"), time.Second); err == nil {
		t.Error("still accepting connections after the drain")
	}
}
