package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server process the test owns, so it can kill it.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

// startRedis starts a redis-server without persistence on a free port.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if testRedisURL(t) == "" { // honours CHATD_TEST_REDIS=skip
		return nil
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is needed for the outage test: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	r := &redisServer{t: t, port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.port)})
	defer c.Close()
	waitFor(r.t, "redis-server up", func() bool { return c.Ping(context.Background()).Err() == nil })
}

// stop kills the server and waits for it to exit.
func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

func TestRedisOutage(t *testing.T) {
	srv := startRedis(t)
	c := newCluster(t, srv.url())
	n1, n2 := c.node("n1"), c.node("n2")
	a, local := n1.connect(), n1.connect()
	b := n2.connect()
	n1.join(a, "r")
	n1.join(local, "r")
	n2.join(b, "r")
	c.waitSubscribers("r", 2)
	n1.emit(n1.srv.Of("/").To("r"), "m", 1)
	fence(n1, a, local, b)

	srv.stop()
	for _, n := range []*node{n1, n2} {
		waitFor(t, "subscription lost", func() bool {
			return errors.Is(n.adapter.Ready(context.Background()), ErrNotSubscribed)
		})
	}

	// Local delivery continues, relaying fails fast and is counted.
	before := n1.adapter.Stats().PublishErrors
	start := time.Now()
	n1.emit(n1.srv.Of("/").To("r"), "m", 2)
	if d := time.Since(start); d > time.Second {
		t.Errorf("broadcast took %v while redis was down", d)
	}
	for _, cl := range []*client{a, local} {
		if f := cl.next(); f != `42["m",2]` {
			t.Errorf("local client received %q while redis was down", f)
		}
	}
	if s := n1.adapter.Stats(); s.PublishErrors != before+1 {
		t.Errorf("publish errors %d, want %d", s.PublishErrors, before+1)
	}

	// After a restart both nodes resubscribe by themselves and relaying resumes.
	srv.start()
	for _, n := range []*node{n1, n2} {
		waitFor(t, "ready after restart", func() bool { return n.adapter.Ready(context.Background()) == nil })
	}
	c.waitSubscribers("r", 2)
	n1.emit(n1.srv.Of("/").To("r"), "m", 3)
	got := fence(n1, a, local, b)
	for i, frames := range got {
		if fmt.Sprint(frames) != fmt.Sprint([]string{`42["m",3]`}) {
			t.Errorf("client %d received %q after the restart, want m 3", i, frames)
		}
	}
}
