package loadgen

import "testing"

func TestSpreadPutsEveryRoomOnEveryServer(t *testing.T) {
	for servers := 1; servers <= 4; servers++ {
		for rooms := 1; rooms <= 7; rooms++ {
			for _, members := range []int{servers, servers + 1, 3*servers + 2} {
				checkSpread(t, servers, rooms, members)
			}
		}
	}
}

// checkSpread checks that every room's members are spread evenly over the servers
// and that the rooms' first members (the publishers) are spread evenly too.
func checkSpread(t *testing.T, servers, rooms, members int) {
	t.Helper()
	firsts := make([]int, servers)
	for room := range rooms {
		perServer := make([]int, servers)
		for pos := range members {
			s := spread(room, pos, servers)
			if s < 0 || s >= servers {
				t.Fatalf("spread(%d, %d, %d) = %d: no such server", room, pos, servers, s)
			}
			perServer[s]++
		}
		if lo, hi := minMax(perServer); lo == 0 || hi-lo > 1 {
			t.Errorf("%d servers, room %d of %d members: per server %v", servers, room, members, perServer)
		}
		firsts[spread(room, 0, servers)]++
	}
	if lo, hi := minMax(firsts); hi-lo > 1 {
		t.Errorf("%d servers, %d rooms: first members per server %v", servers, rooms, firsts)
	}
}

func minMax(xs []int) (lo, hi int) {
	lo, hi = xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func TestSpreadOneServer(t *testing.T) {
	for _, n := range []int{0, 1} {
		if s := spread(5, 7, n); s != 0 {
			t.Errorf("spread over %d servers = %d, want 0", n, s)
		}
	}
}
