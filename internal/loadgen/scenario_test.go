package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"
)

// fakeOptions is a tiny, quick fan-out against url.
func fakeOptions(url string) Options {
	return Options{
		URLs: []string{url}, Secret: []byte("test-secret"),
		Rooms: 2, Members: 3, Publishers: 1, Inflight: 2,
		Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond, Drain: time.Second,
	}
}

func TestFanoutClean(t *testing.T) {
	url := startFake(t, &fakeServer{})
	for _, rate := range []float64{0, 200} {
		o := fakeOptions(url)
		o.Rate = rate
		res, err := Run(context.Background(), Fanout, o)
		if err != nil {
			t.Fatal(err)
		}
		f := res.Fanout
		if !res.OK || f.Delivered != f.Expected || f.Expected == 0 || f.Acked != f.Sent {
			t.Fatalf("rate %v: ok %v errors %v, sent %d acked %d expected %d delivered %d",
				rate, res.OK, res.Errors, f.Sent, f.Acked, f.Expected, f.Delivered)
		}
		if f.Expected != f.Acked*2 {
			t.Errorf("3 members: expected %d deliveries for %d messages, want 2 each", f.Expected, f.Acked)
		}
		if f.DeliveryLatency.Count == 0 || f.AckLatency.Count == 0 {
			t.Errorf("no latency recorded: %+v %+v", f.AckLatency, f.DeliveryLatency)
		}
	}
}

func TestFanoutOpenLoopRate(t *testing.T) {
	url := startFake(t, &fakeServer{})
	o := fakeOptions(url)
	o.Rate, o.Duration = 100, time.Second
	res, err := Run(context.Background(), Fanout, o)
	if err != nil {
		t.Fatal(err)
	}
	// 100 msg/s over 1.1 s of sending (warmup included): about 110, never far more.
	if s := res.Fanout.Sent; s < 90 || s > 125 {
		t.Errorf("sent %d messages at 100/s for 1.1s", s)
	}
}

func TestFanoutDetectsDuplicates(t *testing.T) {
	url := startFake(t, &fakeServer{dupEvery: 5})
	res, err := Run(context.Background(), Fanout, fakeOptions(url))
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Errors["duplicate"] == 0 {
		t.Fatalf("duplicates not reported: %v", res.Errors)
	}
	if res.Fanout.Delivered != res.Fanout.Expected {
		t.Errorf("duplicates must not count as deliveries: %d of %d", res.Fanout.Delivered, res.Fanout.Expected)
	}
}

func TestFanoutDetectsLoss(t *testing.T) {
	url := startFake(t, &fakeServer{dropEvery: 4})
	o := fakeOptions(url)
	o.Drain = 200 * time.Millisecond
	res, err := Run(context.Background(), Fanout, o)
	if err != nil {
		t.Fatal(err)
	}
	f := res.Fanout
	if res.OK || f.Lost == 0 || res.Errors["lost"] != f.Lost || f.Delivered+f.Lost != f.Expected {
		t.Fatalf("loss not reported: errors %v, expected %d delivered %d lost %d", res.Errors, f.Expected, f.Delivered, f.Lost)
	}
}

func TestSetupRefused(t *testing.T) {
	for _, tt := range []struct {
		f    *fakeServer
		want string
	}{
		{&fakeServer{refuseConnect: true}, "connect refused"},
		{&fakeServer{refuseJoin: true}, "joinRoom refused: forbidden"},
	} {
		url := startFake(t, tt.f)
		_, err := Run(context.Background(), Fanout, fakeOptions(url))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want it to say %q", err, tt.want)
		}
	}
}

func TestIdleAnswersPings(t *testing.T) {
	f := &fakeServer{}
	url := startFake(t, f)
	o := fakeOptions(url)
	o.Conns, o.Duration = 20, 200*time.Millisecond
	res, err := Run(context.Background(), Idle, o)
	if err != nil {
		t.Fatal(err)
	}
	// The server counts pongs on its own goroutines: give them a moment.
	for deadline := time.Now().Add(5 * time.Second); f.pongs.Load() < 20 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !res.OK || res.Idle.PingsAnswered != 20 || f.pongs.Load() != 20 {
		t.Errorf("ok %v: %d pings answered, server got %d pongs; want 20", res.OK, res.Idle.PingsAnswered, f.pongs.Load())
	}
}

func TestConnectCounts(t *testing.T) {
	url := startFake(t, &fakeServer{})
	o := fakeOptions(url)
	o.Concurrency = 2
	res, err := Run(context.Background(), Connect, o)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Connect
	if !res.OK || c.Handshakes == 0 || c.Latency.Count != c.Handshakes {
		t.Errorf("ok %v errors %v: %d handshakes, %d latencies", res.OK, res.Errors, c.Handshakes, c.Latency.Count)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{URLs: []string{"http://x"}},                               // no secret
		{URLs: []string{"ftp://x"}, Secret: []byte("s")},           // not http
		{URLs: []string{"http://x:1", "x:2"}, Secret: []byte("s")}, // the second is not a URL
		{Secret: []byte("s"), ServerPIDs: []int{1, 0}},             // not a process
		{Secret: []byte("s"), Members: 2, Publishers: 3},
	} {
		if _, err := Run(context.Background(), Fanout, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestWSURL(t *testing.T) {
	for _, tt := range []struct{ url, path, want string }{
		{"http://127.0.0.1:8080", "/socket.io/", "ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket"},
		{"https://chat.example:443/", "socket.io", "wss://chat.example:443/socket.io/?EIO=4&transport=websocket"},
	} {
		if got := wsURL(tt.url, tt.path); got != tt.want {
			t.Errorf("wsURL(%q, %q) = %q, want %q", tt.url, tt.path, got, tt.want)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	url := startFake(t, &fakeServer{})
	o := fakeOptions(url)
	o.Duration = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Run(ctx, Fanout, o); err == nil {
		t.Fatal("an interrupted run must not report a result")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the run took %v to stop after its context ended", time.Since(start))
	}
}
