package broker

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// newTestRegistry returns a registry for node on a prefix unique to the test; it is
// closed and the prefix's keys deleted at the end.
func newTestRegistry(t *testing.T, prefix, node string, ttl time.Duration) *RedisRegistry {
	t.Helper()
	url := testRedisURL(t)
	r, err := NewRedisRegistry(url, discardLogger(), RegistryOptions{Prefix: prefix, NodeID: node, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.Close()
		deleteKeys(t, url, "{"+prefix+"}:*")
	})
	return r
}

func deleteKeys(t *testing.T, url, pattern string) {
	opts, _ := redis.ParseURL(url)
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, pattern).Result()
	if err != nil {
		t.Errorf("list keys: %v", err)
		return
	}
	if len(keys) > 0 {
		c.Del(ctx, keys...)
	}
}

func testPrefix() string { return "test-reg-" + rand.Text()[:10] }

// must returns a call's value, failing the test on its error: must[bool](t)(f()).
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestRegistryRoomFirstAndLastAcrossNodes(t *testing.T) {
	p := testPrefix()
	a, b := newTestRegistry(t, p, "a", time.Minute), newTestRegistry(t, p, "b", time.Minute)
	ctx := context.Background()
	if !must[bool](t)(a.JoinRoom(ctx, "r", "ann")) {
		t.Error("first node joining: want first")
	}
	if must[bool](t)(b.JoinRoom(ctx, "r", "ann")) {
		t.Error("second node joining the same user: want not first")
	}
	if !must[bool](t)(b.JoinRoom(ctx, "r", "bob")) {
		t.Error("another user: want first")
	}
	if must[bool](t)(a.LeaveRoom(ctx, "r", "ann")) {
		t.Error("ann still on b: want not last")
	}
	if must[bool](t)(a.LeaveRoom(ctx, "r", "ann")) {
		t.Error("a repeated leave must change nothing")
	}
	members := must[[]Member](t)(a.Members(ctx, "r"))
	slices.SortFunc(members, func(x, y Member) int { return compareStrings(x.User, y.User) })
	want := []Member{{"ann", "online"}, {"bob", "online"}}
	if !slices.Equal(members, want) {
		t.Errorf("members = %v, want %v", members, want)
	}
	if !must[bool](t)(b.LeaveRoom(ctx, "r", "ann")) {
		t.Error("ann's last node leaving: want last")
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestRegistryStatusIsClusterWide(t *testing.T) {
	p := testPrefix()
	a, b := newTestRegistry(t, p, "a", time.Minute), newTestRegistry(t, p, "b", time.Minute)
	ctx := context.Background()
	if st := must[string](t)(a.Connect(ctx, "ann")); st != "online" {
		t.Errorf("new user's status = %q, want online", st)
	}
	must[bool](t)(a.JoinRoom(ctx, "r1", "ann"))
	must[bool](t)(b.JoinRoom(ctx, "r2", "ann"))
	rooms := must[[]string](t)(b.SetStatus(ctx, "ann", "away"))
	slices.Sort(rooms)
	if !slices.Equal(rooms, []string{"r1", "r2"}) {
		t.Errorf("rooms = %v, want the user's rooms on both nodes", rooms)
	}
	if st := must[string](t)(b.Connect(ctx, "ann")); st != "away" {
		t.Errorf("status seen by a second node = %q, want away", st)
	}
}

func TestRegistryOfflineClaimedOnceAndOnlyWhenGoneEverywhere(t *testing.T) {
	p := testPrefix()
	a, b := newTestRegistry(t, p, "a", time.Minute), newTestRegistry(t, p, "b", time.Minute)
	ctx := context.Background()
	must[string](t)(a.Connect(ctx, "ann"))
	genA := must[string](t)(a.Disconnect(ctx, "ann", []string{"r"}))
	must[string](t)(b.Connect(ctx, "ann")) // back on another node inside the grace period
	if _, ok := must2(t)(a.ClaimOffline(ctx, "ann", genA)); ok {
		t.Fatal("claim while the user is on b: want refused")
	}
	genB := must[string](t)(b.Disconnect(ctx, "ann", []string{"r"}))
	if _, ok := must2(t)(a.ClaimOffline(ctx, "ann", genA)); ok {
		t.Error("a stale generation must not claim")
	}
	st, ok := must2(t)(b.ClaimOffline(ctx, "ann", genB))
	if !ok || st != "online" {
		t.Errorf("claim = %q %v, want online true", st, ok)
	}
	if _, ok := must2(t)(b.ClaimOffline(ctx, "ann", genB)); ok {
		t.Error("second claim of the same generation: want refused")
	}
}

func TestRegistryConcurrentLastDisconnectsAnnounceOnce(t *testing.T) {
	p := testPrefix()
	nodes := []*RedisRegistry{newTestRegistry(t, p, "a", time.Minute), newTestRegistry(t, p, "b", time.Minute),
		newTestRegistry(t, p, "c", time.Minute)}
	ctx := context.Background()
	gens := make([]string, len(nodes))
	for _, n := range nodes {
		must[string](t)(n.Connect(ctx, "ann"))
	}
	for i, n := range nodes {
		gens[i] = must[string](t)(n.Disconnect(ctx, "ann", nil))
	}
	var mu sync.Mutex
	claims := 0
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			if _, ok, err := n.ClaimOffline(ctx, "ann", gens[i]); err != nil {
				t.Error(err)
			} else if ok {
				mu.Lock()
				claims++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if claims != 1 {
		t.Errorf("%d nodes announced the user offline, want 1", claims)
	}
}

func must2(t *testing.T) func(string, bool, error) (string, bool) {
	return func(s string, ok bool, err error) (string, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s, ok
	}
}

// TestRegistryReapsDeadNode: node b stops heartbeating; a's heartbeat reaps it and
// reports who left which room and who went offline, once.
func TestRegistryReapsDeadNode(t *testing.T) {
	p := testPrefix()
	ttl := 300 * time.Millisecond
	a, b := newTestRegistry(t, p, "a", ttl), newTestRegistry(t, p, "b", ttl)
	ctx := context.Background()
	for _, step := range []func() error{
		func() error { _, err := a.Connect(ctx, "ann"); return err },
		func() error { _, err := a.JoinRoom(ctx, "r", "ann"); return err },
		func() error { _, err := b.Connect(ctx, "ann"); return err }, // ann on both
		func() error { _, err := b.JoinRoom(ctx, "r", "ann"); return err },
		func() error { _, err := b.Connect(ctx, "bob"); return err },
		func() error { _, err := b.JoinRoom(ctx, "r", "bob"); return err },
		func() error { _, err := b.JoinRoom(ctx, "s", "bob"); return err },
		func() error { _, err := b.Connect(ctx, "cat"); return err }, // cat in grace on b
		func() error { _, err := b.Disconnect(ctx, "cat", []string{"t"}); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := scriptHeartbeat.Run(ctx, b.client, nil, b.tag, "b", ttlMillis(ttl)).Err(); err != nil {
		t.Fatal(err) // b registered once, then silent
	}
	losses := make(chan NodeLoss, 4)
	a.Run(func() Snapshot { return Snapshot{} }, func(l NodeLoss) { losses <- l })
	var loss NodeLoss
	select {
	case loss = <-losses:
	case <-time.After(waitTimeout):
		t.Fatal("dead node not reaped")
	}
	if loss.Node != "b" || !slices.Equal(loss.Left, []RoomUser{{"r", "bob"}, {"s", "bob"}}) &&
		!slices.Equal(loss.Left, []RoomUser{{"s", "bob"}, {"r", "bob"}}) {
		t.Errorf("left = %+v, want bob out of r and s only (ann is still on a)", loss.Left)
	}
	got := map[string][]string{}
	for _, d := range loss.Offline {
		slices.Sort(d.Rooms)
		got[d.User] = d.Rooms
	}
	if len(got) != 2 || !slices.Equal(got["bob"], []string{"r", "s"}) || !slices.Equal(got["cat"], []string{"t"}) {
		t.Errorf("offline = %+v, want bob (r, s) and cat (t)", loss.Offline)
	}
	members := must[[]Member](t)(a.Members(ctx, "r"))
	if !slices.Equal(members, []Member{{"ann", "online"}}) {
		t.Errorf("members after reap = %v, want only ann", members)
	}
	select {
	case l := <-losses:
		t.Errorf("reaped twice: %+v", l)
	case <-time.After(2 * ttl):
	}
}

// TestRegistryResyncAfterRedisLostState: the keys vanish (a Redis restart); the next
// heartbeat re-registers the node from its snapshot, silently.
func TestRegistryResyncAfterRedisLostState(t *testing.T) {
	p := testPrefix()
	ttl := 300 * time.Millisecond
	a := newTestRegistry(t, p, "a", ttl)
	ctx := context.Background()
	must[string](t)(a.Connect(ctx, "ann"))
	must[bool](t)(a.JoinRoom(ctx, "r", "ann"))
	snap := Snapshot{Users: []Member{{"ann", "busy"}}, Rooms: []RoomUser{{"r", "ann"}}}
	a.Run(func() Snapshot { return snap }, func(NodeLoss) { t.Error("no node was lost") })
	time.Sleep(ttl / 2)
	deleteKeys(t, testRedisURL(t), "{"+p+"}:*")
	deadline := time.Now().Add(waitTimeout)
	for {
		m, err := a.Members(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(m, []Member{{"ann", "busy"}}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members after Redis lost them = %v, want ann (busy) back", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if must[bool](t)(a.JoinRoom(ctx, "r", "ann")) {
		t.Error("the re-registered pair must count: a repeated join is not first")
	}
}

func TestRegistryRateLimitIsSharedByNodes(t *testing.T) {
	p := testPrefix()
	a, b := newTestRegistry(t, p, "a", time.Minute), newTestRegistry(t, p, "b", time.Minute)
	ctx := context.Background()
	const perSecond, burst = 2, 4 // a token every 500 ms
	for i := range burst {
		node := []*RedisRegistry{a, b}[i%2]
		if wait, err := node.Reserve(ctx, "m:ann", perSecond, burst); err != nil || wait != 0 {
			t.Fatalf("token %d: wait %v err %v, want granted", i, wait, err)
		}
	}
	wait, err := b.Reserve(ctx, "m:ann", perSecond, burst)
	if err != nil || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("over the burst across two nodes: wait %v err %v, want refused for ≤ 500ms", wait, err)
	}
	if wait, _ := a.Reserve(ctx, "m:bob", perSecond, burst); wait != 0 {
		t.Error("another user's bucket must be full")
	}
	if err := a.Refund(ctx, "m:ann", perSecond); err != nil {
		t.Fatal(err)
	}
	if wait, err := b.Reserve(ctx, "m:ann", perSecond, burst); err != nil || wait != 0 {
		t.Fatalf("after a refund: wait %v err %v, want granted", wait, err)
	}
}

// TestRegistryFailsFastWhileRedisIsDown: after one failed call, calls fail at once
// with ErrRegistryDown instead of each waiting on a dial, until a heartbeat gets through.
func TestRegistryFailsFastWhileRedisIsDown(t *testing.T) {
	r, err := NewRedisRegistry("redis://127.0.0.1:1/0", discardLogger(), RegistryOptions{NodeID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if _, err := r.JoinRoom(ctx, "r", "ann"); err == nil || errors.Is(err, ErrRegistryDown) {
		t.Fatalf("first call: %v, want the dial error", err)
	}
	for _, call := range []func() error{
		func() error { _, err := r.JoinRoom(ctx, "r", "ann"); return err },
		func() error { _, err := r.Members(ctx, "r"); return err },
		func() error { _, err := r.Reserve(ctx, "m:ann", 1, 1); return err },
	} {
		if err := call(); !errors.Is(err, ErrRegistryDown) {
			t.Errorf("call while down: %v, want ErrRegistryDown", err)
		}
	}
	if !r.diverged.Load() {
		t.Error("a change refused while down must mark the node for re-registration")
	}
}
