package chat

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/broker"
)

// fakeRegistry answers as the rest of a cluster would; the test says what the other
// nodes have. It records the calls it gets.
type fakeRegistry struct {
	mu        sync.Mutex
	elsewhere map[string]bool // "room/user" pairs another node has a socket of
	members   []broker.Member // Members' answer
	claim     bool            // ClaimOffline's answer
	status    string          // Connect's answer
	down      bool            // every call fails
	refuse    map[string]bool // buckets with no token left
	calls     []string
}

var errRegistryDown = errors.New("registry down")

func (f *fakeRegistry) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	if f.down {
		return errRegistryDown
	}
	return nil
}

func (f *fakeRegistry) JoinRoom(_ context.Context, room, user string) (bool, error) {
	err := f.record("join " + room + " " + user)
	return !f.elsewhere[room+"/"+user], err
}

func (f *fakeRegistry) LeaveRoom(_ context.Context, room, user string) (bool, error) {
	err := f.record("leave " + room + " " + user)
	return !f.elsewhere[room+"/"+user], err
}

func (f *fakeRegistry) Connect(_ context.Context, user string) (string, error) {
	return f.status, f.record("connect " + user)
}

func (f *fakeRegistry) Disconnect(_ context.Context, user string, _ []string) (string, error) {
	return "7", f.record("disconnect " + user)
}

func (f *fakeRegistry) ClaimOffline(_ context.Context, user, gen string) (string, bool, error) {
	err := f.record("claim " + user + " " + gen)
	return "busy", f.claim, err
}

func (f *fakeRegistry) SetStatus(_ context.Context, user, status string) ([]string, error) {
	return []string{"r", "far"}, f.record("status " + user + " " + status)
}

func (f *fakeRegistry) Members(_ context.Context, room string) ([]broker.Member, error) {
	return f.members, f.record("members " + room)
}

func (f *fakeRegistry) took(call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == call {
			return true
		}
	}
	return false
}

func TestClusterJoinAndLeaveFollowTheUserAcrossNodes(t *testing.T) {
	reg := &fakeRegistry{status: "online", elsewhere: map[string]bool{"r/bob": true}}
	h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`) // bob has a socket in r on another node
	alice.sync()
	alice.noEvent("userJoinedRoom")
	bob.call("leaveRoom", `"r"`)
	alice.sync()
	alice.noEvent("userLeftRoom")
	if !reg.took("join r bob") || !reg.took("leave r bob") {
		t.Fatalf("registry calls %v", reg.calls)
	}

	reg.mu.Lock()
	reg.elsewhere = nil
	reg.mu.Unlock()
	bob.call("joinRoom", `"r"`)
	if ev := decode(t, alice.waitEvent("userJoinedRoom")); ev["userId"] != "bob" {
		t.Fatalf("userJoinedRoom %v", ev)
	}
}

func TestClusterMembersAndStatusComeFromTheRegistry(t *testing.T) {
	reg := &fakeRegistry{status: "away", members: []broker.Member{{User: "zed", Status: "busy"}, {User: "alice", Status: "away"}}}
	h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
	alice := h.connect("alice")
	alice.call("joinRoom", `"r"`)
	members := decode(t, alice.call("getRoomMembers", `{"roomId":"r"}`))
	if got, _ := json.Marshal(members["members"]); string(got) != `[{"status":"away","userId":"alice"},{"status":"busy","userId":"zed"}]` {
		t.Fatalf("members %s (want the registry's, sorted)", got)
	}
	alice.call("presenceUpdate", `{"status":"busy"}`)
	if !reg.took("connect alice") || !reg.took("status alice busy") {
		t.Fatalf("registry calls %v", reg.calls)
	}
}

func TestClusterOfflineOnlyWhenClaimed(t *testing.T) {
	for _, claim := range []bool{false, true} {
		reg := &fakeRegistry{status: "online", claim: claim}
		h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
		alice, bob := h.connect("alice"), h.connect("bob")
		alice.call("joinRoom", `"r"`)
		bob.call("joinRoom", `"r"`)
		alice.close()
		bob.waitEvent("userLeftRoom")
		h.clock.Advance(5 * time.Second)
		if claim {
			if ev := decode(t, bob.waitEvent("presenceUpdate")); ev["status"] != "offline" || ev["userId"] != "alice" {
				t.Fatalf("presenceUpdate %v", ev)
			}
		} else {
			bob.sync()
			bob.noEvent("presenceUpdate") // alice is still connected on another node
		}
		if !reg.took("claim alice 7") {
			t.Fatalf("claim %v: registry calls %v", claim, reg.calls)
		}
	}
}

func TestClusterNodeLostAnnouncesLeavesAndOffline(t *testing.T) {
	reg := &fakeRegistry{status: "online"}
	h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
	bob := h.connect("bob")
	bob.call("joinRoom", `"r"`)
	h.svc.NodeLost(broker.NodeLoss{Node: "x",
		Left:    []broker.RoomUser{{Room: "r", User: "ann"}},
		Offline: []broker.Departed{{User: "ann", Status: "away", Rooms: []string{"r"}}, {User: "cy", Status: "offline", Rooms: []string{"r"}}},
	})
	if ev := decode(t, bob.waitEvent("userLeftRoom")); ev["userId"] != "ann" || ev["roomId"] != "r" {
		t.Fatalf("userLeftRoom %v", ev)
	}
	if ev := decode(t, bob.waitEvent("presenceUpdate")); ev["userId"] != "ann" || ev["status"] != "offline" {
		t.Fatalf("presenceUpdate %v", ev)
	}
	bob.sync()
	bob.noEvent("presenceUpdate") // cy had set offline already: no change to tell
}

func TestClusterRegistryDownFallsBackToTheNode(t *testing.T) {
	reg := &fakeRegistry{down: true, elsewhere: map[string]bool{"r/bob": true}}
	h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`)
	alice.waitEvent("userJoinedRoom") // decided by this node alone
	members := decode(t, alice.call("getRoomMembers", `{"roomId":"r"}`))
	if got, _ := json.Marshal(members["members"]); string(got) != `[{"status":"online","userId":"alice"},{"status":"online","userId":"bob"}]` {
		t.Fatalf("members %s (want this node's)", got)
	}
	bob.close()
	alice.waitEvent("userLeftRoom")
	h.clock.Advance(5 * time.Second)
	if ev := decode(t, alice.waitEvent("presenceUpdate")); ev["status"] != "offline" {
		t.Fatalf("presenceUpdate %v", ev)
	}
}

func TestClusterSnapshot(t *testing.T) {
	reg := &fakeRegistry{status: "busy"}
	h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
	alice := h.connect("alice")
	alice.call("joinRoom", `"r"`)
	snap := h.svc.Snapshot()
	if len(snap.Users) != 1 || snap.Users[0] != (broker.Member{User: "alice", Status: "busy"}) ||
		len(snap.Rooms) != 1 || snap.Rooms[0] != (broker.RoomUser{Room: "r", User: "alice"}) {
		t.Fatalf("snapshot %+v", snap)
	}
}

func (f *fakeRegistry) Reserve(_ context.Context, key string, _ float64, _ int) (time.Duration, error) {
	err := f.record("reserve " + key)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse[key] {
		return 1500 * time.Millisecond, err
	}
	return 0, err
}

func (f *fakeRegistry) Refund(_ context.Context, key string, _ float64) error {
	return f.record("refund " + key)
}

func TestClusterRateLimitRefusesWhatOtherNodesUsed(t *testing.T) {
	reg := &fakeRegistry{status: "online", refuse: map[string]bool{"m:alice": true}}
	h := newHarnessWith(t, Config{}, harnessOptions{registry: reg})
	alice := h.connect("alice")
	alice.call("joinRoom", `"r"`)
	ack := decode(t, alice.call("sendMessage", `{"roomId":"r","content":"hi","clientMessageId":"c1"}`))
	if ack["error"] == nil {
		t.Fatalf("ack %v, want rate limited by the cluster bucket", ack)
	}
	if e := ack["error"].(map[string]any); e["code"] != CodeRateLimited || e["retryAfterMs"] != 1500.0 {
		t.Fatalf("error %v", e)
	}
	reg.mu.Lock()
	reg.refuse = nil
	reg.mu.Unlock()
	alice.call("sendMessage", `{"roomId":"r","content":"hi","clientMessageId":"c1"}`)
	alice.call("sendMessage", `{"roomId":"r","content":"hi","clientMessageId":"c1"}`) // a re-send
	if !reg.took("reserve j:alice") || !reg.took("refund m:alice") {
		t.Fatalf("registry calls %v (want the join's reserve and the re-send's refund)", reg.calls)
	}
}
