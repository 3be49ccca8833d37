package engineio_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

func TestPollingRoundTrip(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)

	res := ts.post(t, sid, "4hello\x1ebAQIDBA==\x1e4\x1e4wörld")
	if res.status != http.StatusOK || res.body != "ok" {
		t.Fatalf("POST = %d %q", res.status, res.body)
	}
	want := []inbound{{"hello", false}, {"\x01\x02\x03\x04", true}, {"", false}, {"wörld", false}}
	for _, w := range want {
		if got := p.nextMessage(t); got != w {
			t.Errorf("delivered %+v, want %+v", got, w)
		}
	}

	// A binary packet and its attachments, queued in one Send, come back adjacent
	// and each separated by \x1e.
	err := p.sess.Send(
		engineio.Message{Data: []byte(`51-["a",{"_placeholder":true,"num":0}]`)},
		engineio.Message{Data: []byte{1, 2, 3, 4}, Binary: true},
		engineio.Message{Data: []byte{0xff}, Binary: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.sess.Send(engineio.Message{Data: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	res = ts.poll(t, sid)
	wantBody := "451-[\"a\",{\"_placeholder\":true,\"num\":0}]\x1ebAQIDBA==\x1eb/w==\x1e4after"
	if res.status != http.StatusOK || res.body != wantBody {
		t.Errorf("GET = %d %q, want %q", res.status, res.body, wantBody)
	}
}

func TestPollingParkedGetGetsAttachments(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)
	got := make(chan response, 1)
	go func() { got <- ts.poll(t, sid) }()
	time.Sleep(50 * time.Millisecond) // let the GET park
	if err := p.sess.Send(engineio.Message{Data: []byte("451-[]")}, engineio.Message{Data: []byte{7}, Binary: true}); err != nil {
		t.Fatal(err)
	}
	if res := <-got; res.body != "4451-[]\x1ebBw==" {
		t.Errorf("parked GET = %q", res.body)
	}
}

func TestPollingPayloadTooLarge(t *testing.T) {
	ts := newTestServer(t, engineio.Config{MaxPayload: 10}, false)
	sid, p := ts.pollingSession(t)
	if res := ts.post(t, sid, "4"+strings.Repeat("x", 10)); res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("POST over MaxPayload = %d, want 413", res.status)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportError {
		t.Errorf("close reason = %v", r)
	}
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("GET after 413 = %d, want 400", res.status)
	}

	sid, p = ts.pollingSession(t)
	if res := ts.post(t, sid, "4"+strings.Repeat("x", 9)); res.status != http.StatusOK {
		t.Errorf("POST of exactly MaxPayload = %d", res.status)
	}
	p.nextMessage(t)
}

func TestPollingInvalidPacketCloses(t *testing.T) {
	for _, body := range []string{"abc", "", "4ok\x1e", "bnot base64!", "7"} {
		t.Run(body, func(t *testing.T) {
			ts := newTestServer(t, engineio.Config{}, false)
			sid, p := ts.pollingSession(t)
			if res := ts.post(t, sid, body); res.status != http.StatusBadRequest {
				t.Errorf("POST %q = %d, want 400", body, res.status)
			}
			if r := p.waitClosed(t); r != engineio.CloseReasonParseError && r != engineio.CloseReasonTransportError {
				t.Errorf("close reason = %v", r)
			}
			if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
				t.Errorf("GET after invalid POST = %d, want 400", res.status)
			}
		})
	}
}

func TestPollingConcurrentGetClosesSession(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)
	first := make(chan response, 1)
	go func() { first <- ts.poll(t, sid) }()
	time.Sleep(50 * time.Millisecond)
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("second GET = %d, want 400", res.status)
	}
	if res := <-first; res.status != http.StatusOK || res.body != "1" {
		t.Errorf("parked GET = %d %q, want 200 \"1\"", res.status, res.body)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportError {
		t.Errorf("close reason = %v", r)
	}
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("GET after close = %d, want 400", res.status)
	}
}

func TestPollingClientClose(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)
	parked := make(chan response, 1)
	go func() { parked <- ts.poll(t, sid) }()
	time.Sleep(50 * time.Millisecond)
	if res := ts.post(t, sid, "1"); res.status != http.StatusOK {
		t.Errorf("POST close = %d", res.status)
	}
	if res := <-parked; res.body != "6" {
		t.Errorf("parked GET = %q, want NOOP", res.body)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportClose {
		t.Errorf("close reason = %v", r)
	}
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("GET after close = %d, want 400", res.status)
	}
}

func TestPollingServerCloseFlushesOnNextGet(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, p := ts.pollingSession(t)
	if err := p.sess.Send(engineio.Message{Data: []byte("41")}); err != nil {
		t.Fatal(err)
	}
	p.sess.Close()
	if r := p.waitClosed(t); r != engineio.CloseReasonForced {
		t.Errorf("close reason = %v", r)
	}
	if err := p.sess.Send(engineio.Message{Data: []byte("late")}); err == nil {
		t.Error("Send after Close succeeded")
	}
	if res := ts.poll(t, sid); res.body != "441\x1e1" {
		t.Errorf("GET after Close = %d %q, want the queue then CLOSE", res.status, res.body)
	}
	if res := ts.poll(t, sid); res.status != http.StatusBadRequest {
		t.Errorf("second GET after Close = %d, want 400", res.status)
	}
	if n := ts.eio.SessionCount(); n != 0 {
		t.Errorf("SessionCount = %d", n)
	}
}

func TestPollingCloseFromOnMessage(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	ts.h.closeOn = "bye"
	sid, p := ts.pollingSession(t)
	ts.post(t, sid, "4a\x1e4bye\x1e4never")
	if m := p.nextMessage(t); m.data != "a" {
		t.Errorf("first message %q", m.data)
	}
	if m := p.nextMessage(t); m.data != "bye" {
		t.Errorf("second message %q", m.data)
	}
	if r := p.waitClosed(t); r != engineio.CloseReasonForced {
		t.Errorf("close reason = %v", r)
	}
	select {
	case m := <-p.msgs:
		t.Errorf("message %q delivered after Close", m.data)
	case r := <-p.closed:
		t.Errorf("second OnClose(%v)", r)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestPollingPOSTAnswer(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	sid, _ := ts.pollingSession(t)
	res := ts.post(t, sid, "6")
	if res.status != http.StatusOK || res.body != "ok" || res.header.Get("Content-Type") != "text/html" {
		t.Errorf("POST = %d %q %q", res.status, res.body, res.header.Get("Content-Type"))
	}
}
