package chat

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

// offlineLog records the offline reports of a users.
type offlineLog struct {
	mu  sync.Mutex
	got []string
}

func (l *offlineLog) record(user string, rooms []string, status, _ string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	state := "same"
	if status != statusOffline {
		state = "changed"
	}
	l.got = append(l.got, user+" "+state+" "+joinStrings(rooms))
}

func (l *offlineLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

func joinStrings(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func newTestUsers() (*users, *fakeClock, *offlineLog) {
	clk := newFakeClock()
	log := &offlineLog{}
	lc := limitConfig{messages: 10, typing: 5, joins: 20, burst: 20}
	return newUsers(clk, 5*time.Second, lc, log.record), clk, log
}

func testClient(user, id string) *client {
	return newClient(id, &auth.Claims{Subject: user}, nil, discardLogger())
}

func TestPresenceGoesOfflineAfterGrace(t *testing.T) {
	u, clk, log := newTestUsers()
	c := testClient("alice", "s1")
	if !u.connect(c) {
		t.Fatal("first socket did not create the user")
	}
	if got := u.status("alice"); got != statusOnline {
		t.Fatalf("status = %s, want online", got)
	}
	u.disconnect(c, []string{"a", "b"})
	clk.Advance(4999 * time.Millisecond)
	if got := log.take(); got != nil || u.status("alice") != statusOnline {
		t.Fatalf("offline before the grace period ended: %v", got)
	}
	clk.Advance(time.Millisecond)
	if got := log.take(); !reflect.DeepEqual(got, []string{"alice changed a,b"}) {
		t.Fatalf("offline reports = %v", got)
	}
	if u.status("alice") != statusOffline || u.count() != 0 {
		t.Fatal("the user was not forgotten")
	}
}

func TestPresenceReconnectWithinGraceDoesNotFlap(t *testing.T) {
	u, clk, log := newTestUsers()
	c := testClient("alice", "s1")
	u.connect(c)
	u.setStatus("alice", statusBusy)
	limits := c.limits
	u.disconnect(c, []string{"a"})
	clk.Advance(3 * time.Second)
	again := testClient("alice", "s2")
	if u.connect(again) {
		t.Fatal("reconnect within grace created a new user")
	}
	clk.Advance(time.Minute)
	if got := log.take(); got != nil {
		t.Fatalf("offline reported despite the reconnect: %v", got)
	}
	if u.status("alice") != statusBusy {
		t.Fatalf("status = %s, want the busy set before", u.status("alice"))
	}
	if again.limits != limits {
		t.Fatal("reconnecting got fresh rate limiters")
	}
}

func TestPresenceMultiDevice(t *testing.T) {
	u, clk, log := newTestUsers()
	phone, laptop := testClient("alice", "p"), testClient("alice", "l")
	u.connect(phone)
	u.connect(laptop)
	if phone.limits != laptop.limits {
		t.Fatal("devices of one user have separate limiters")
	}
	if last := u.disconnect(phone, []string{"a"}); last {
		t.Fatal("first device leaving counted as the last")
	}
	if last := u.disconnect(phone, []string{"a"}); last {
		t.Fatal("a second disconnect of the same socket counted")
	}
	clk.Advance(time.Minute)
	if got := log.take(); got != nil {
		t.Fatalf("offline while a device stays: %v", got)
	}
	if got := u.setStatus("alice", statusAway); len(got) != 1 || got[0] != laptop {
		t.Fatalf("setStatus returned %v", got)
	}
	u.disconnect(laptop, []string{"b"})
	clk.Advance(5 * time.Second)
	if got := log.take(); !reflect.DeepEqual(got, []string{"alice changed b"}) {
		t.Fatalf("offline reports = %v (want the rooms of the last socket)", got)
	}
}

func TestPresenceAlreadyOfflineIsNoChange(t *testing.T) {
	u, clk, log := newTestUsers()
	c := testClient("alice", "s1")
	u.connect(c)
	u.setStatus("alice", statusOffline)
	u.disconnect(c, []string{"a"})
	clk.Advance(5 * time.Second)
	if got := log.take(); !reflect.DeepEqual(got, []string{"alice same a"}) {
		t.Fatalf("offline reports = %v", got)
	}
}

func TestPresenceDisconnectUnknown(t *testing.T) {
	u, clk, _ := newTestUsers()
	if u.disconnect(testClient("ghost", "s"), []string{"a"}) || clk.pending() != 0 {
		t.Fatal("a socket never connected started a grace period")
	}
}

func TestPresenceHeartbeatAndClose(t *testing.T) {
	u, clk, _ := newTestUsers()
	c := testClient("alice", "s1")
	u.connect(c)
	clk.Advance(time.Minute)
	u.touch("alice")
	if got := u.lastSeen("alice"); !got.Equal(clk.Now()) {
		t.Fatalf("lastSeen = %v, want %v", got, clk.Now())
	}
	u.disconnect(c, nil)
	if clk.pending() != 1 {
		t.Fatal("no grace timer")
	}
	u.close()
	if clk.pending() != 0 {
		t.Fatal("close left the grace timer running")
	}
}

// inGrace reports whether user has no socket left and waits out the grace period.
func (u *users) inGrace(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.m[user]
	return st != nil && st.grace != nil
}
