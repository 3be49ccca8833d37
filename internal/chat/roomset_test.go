package chat

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRoomSetIsASet drives a roomSet and a map with the same random operations, across
// the switch from slice to map, and checks that they always agree.
func TestRoomSetIsASet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, universe := range []int{3, smallRoomSet, smallRoomSet + 1, 4 * smallRoomSet} {
		var set roomSet
		want := map[string]bool{}
		for step := range 2000 {
			room := fmt.Sprintf("r%d", rng.IntN(universe))
			if rng.IntN(3) == 0 {
				if got := set.remove(room); got != want[room] {
					t.Fatalf("universe %d step %d: remove(%s) = %v, want %v", universe, step, room, got, want[room])
				}
				delete(want, room)
			} else {
				if got := set.add(room); got == want[room] {
					t.Fatalf("universe %d step %d: add(%s) = %v with the room present=%v", universe, step, room, got, want[room])
				}
				want[room] = true
			}
			checkRoomSet(t, &set, want)
		}
	}
}

func checkRoomSet(t *testing.T, set *roomSet, want map[string]bool) {
	t.Helper()
	var rooms []string
	for r := range want {
		rooms = append(rooms, r)
	}
	slices.Sort(rooms)
	if got := set.sorted(); !slices.Equal(got, rooms) {
		t.Fatalf("sorted() = %v, want %v", got, rooms)
	}
	if set.len() != len(want) {
		t.Fatalf("len() = %d, want %d", set.len(), len(want))
	}
	for _, r := range []string{"r0", "r1", "r5", "r9", "absent"} {
		if set.has(r) != want[r] {
			t.Fatalf("has(%s) = %v, want %v", r, set.has(r), want[r])
		}
	}
}

func TestRoomSetKeepsNothingWhenEmptied(t *testing.T) {
	var set roomSet
	set.add("a")
	set.add("b")
	set.remove("a")
	set.remove("b")
	if set.list != nil || set.m != nil || set.len() != 0 {
		t.Fatalf("an emptied small set keeps %v %v", set.list, set.m)
	}
	if got := set.sorted(); len(got) != 0 {
		t.Fatalf("sorted() of an empty set = %v", got)
	}
}

func TestClientRoomsRespectMax(t *testing.T) {
	c := testClient("alice", "s1")
	for i := range 2 * smallRoomSet {
		if added, ok := c.addRoom(fmt.Sprintf("r%02d", i), 2*smallRoomSet); !added || !ok {
			t.Fatalf("room %d: added=%v ok=%v", i, added, ok)
		}
	}
	if added, ok := c.addRoom("r00", 2*smallRoomSet); added || !ok {
		t.Fatalf("re-adding a room: added=%v ok=%v", added, ok)
	}
	if _, ok := c.addRoom("extra", 2*smallRoomSet); ok {
		t.Fatal("a full socket took one more room")
	}
	if !c.removeRoom("r03") || c.removeRoom("r03") || c.inRoom("r03") || c.roomCount() != 2*smallRoomSet-1 {
		t.Fatal("removeRoom did not remove exactly once")
	}
	if rooms := c.finish(); len(rooms) != 2*smallRoomSet-1 || !slices.IsSorted(rooms) {
		t.Fatalf("finish returned %v", rooms)
	}
}
