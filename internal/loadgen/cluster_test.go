package loadgen

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"testing"
	"time"
)

func TestFanoutAcrossNodes(t *testing.T) {
	f := &fakeServer{}
	urls := startFakeCluster(t, f, 3)
	o := fakeOptions(urls[0])
	o.URLs, o.Rooms, o.Members, o.Publishers = urls, 4, 5, 2
	res, err := Run(context.Background(), Fanout, o)
	if err != nil {
		t.Fatal(err)
	}
	fo := res.Fanout
	if !res.OK || fo.Expected == 0 || fo.Delivered != fo.Expected {
		t.Fatalf("ok %v errors %v: expected %d delivered %d", res.OK, res.Errors, fo.Expected, fo.Delivered)
	}
	if len(res.URLs) != 3 {
		t.Errorf("result names servers %v, want all 3", res.URLs)
	}
	joins := f.joinsByNode()
	if len(joins) != 4 {
		t.Fatalf("joins in %d rooms, want 4: %v", len(joins), joins)
	}
	for room, perNode := range joins {
		// 5 members over 3 nodes: 2, 2 and 1 in some order.
		if len(perNode) != 3 || perNode[0]+perNode[1]+perNode[2] != 5 || min(perNode[0], perNode[1], perNode[2]) != 1 {
			t.Errorf("room %s: joins per node %v, want 5 spread over all 3", room, perNode)
		}
	}
}

func TestIdleAcrossNodes(t *testing.T) {
	f := &fakeServer{}
	urls := startFakeCluster(t, f, 2)
	o := fakeOptions(urls[0])
	o.URLs, o.Rooms, o.Conns, o.Duration = urls, 2, 8, 100*time.Millisecond
	res, err := Run(context.Background(), Idle, o)
	if err != nil || !res.OK {
		t.Fatalf("err %v, result %+v", err, res)
	}
	for room, perNode := range f.joinsByNode() {
		if len(perNode) != 2 || perNode[0] != 2 || perNode[1] != 2 {
			t.Errorf("room %s: joins per node %v, want [2 2]", room, perNode)
		}
	}
}

func TestServerUsageSummed(t *testing.T) {
	url := startFake(t, &fakeServer{})
	o := fakeOptions(url)
	self := os.Getpid()
	o.ServerPIDs, o.WatchPIDs = []int{self, self}, []int{self}
	res, err := Run(context.Background(), Fanout, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Server == nil || len(res.Servers) != 2 || len(res.Watched) != 1 {
		t.Fatalf("server %+v, servers %+v, watched %+v: want a sum of 2 and 1 watched", res.Server, res.Servers, res.Watched)
	}
	s0, s1 := res.Servers[0], res.Servers[1]
	if s0.PID != self || res.Server.PID != 0 || res.Watched[0].PID != self {
		t.Errorf("pids: servers %d, sum %d, watched %d", s0.PID, res.Server.PID, res.Watched[0].PID)
	}
	if math.Abs(res.Server.CPUPercent-(s0.CPUPercent+s1.CPUPercent)) > 0.051 || res.Server.RSSEndKB != s0.RSSEndKB+s1.RSSEndKB {
		t.Errorf("sum %+v is not the sum of %+v and %+v", *res.Server, s0, s1)
	}
}

func TestServerProbeFailureLeavesSumOut(t *testing.T) {
	url := startFake(t, &fakeServer{})
	o := fakeOptions(url)
	o.ServerPIDs = []int{os.Getpid(), 1 << 30}
	res, err := Run(context.Background(), Fanout, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Server != nil || res.Errors["server_probe"] != 1 || res.OK {
		t.Errorf("server %+v, errors %v: want no sum and one server_probe error", res.Server, res.Errors)
	}
}

func TestOnWindowBracketsTheWindow(t *testing.T) {
	url := startFake(t, &fakeServer{})
	o := fakeOptions(url)
	var events []string
	o.OnWindow = func(event string) error {
		events = append(events, event)
		if event == "end" {
			return errors.New("snapshot failed")
		}
		return nil
	}
	res, err := Run(context.Background(), Fanout, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(events, []string{"start", "end"}) {
		t.Errorf("hook called with %v, want start then end", events)
	}
	if res.OK || res.Errors["window_hook"] != 1 {
		t.Errorf("errors %v: want the hook's failure counted once", res.Errors)
	}
}
