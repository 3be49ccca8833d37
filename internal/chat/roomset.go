package chat

import (
	"maps"
	"slices"
)

// roomSet is the set of rooms one socket joined. Most sockets are in one to three
// rooms, for which a map costs about 200 bytes of an idle socket's heap; up to
// smallRoomSet rooms it is a plain slice, and past that a map, so that a socket in
// many rooms (up to MaxRoomsPerSocket) keeps constant-time lookups. The zero value is
// an empty set.
type roomSet struct {
	list []string            // the rooms while the set is small; nil once m is used
	m    map[string]struct{} // the rooms once the set grew past smallRoomSet
}

// smallRoomSet is the most rooms a roomSet keeps in its slice.
const smallRoomSet = 8

func (s *roomSet) has(room string) bool {
	if s.m != nil {
		_, ok := s.m[room]
		return ok
	}
	return slices.Contains(s.list, room)
}

func (s *roomSet) len() int {
	if s.m != nil {
		return len(s.m)
	}
	return len(s.list)
}

// add puts room in the set and reports whether it was new.
func (s *roomSet) add(room string) bool {
	if s.has(room) {
		return false
	}
	switch {
	case s.m != nil:
		s.m[room] = struct{}{}
	case len(s.list) < smallRoomSet:
		s.list = append(s.list, room)
	default:
		s.m = make(map[string]struct{}, 2*smallRoomSet)
		for _, r := range s.list {
			s.m[r] = struct{}{}
		}
		s.m[room] = struct{}{}
		s.list = nil
	}
	return true
}

// remove takes room out of the set and reports whether it was there.
func (s *roomSet) remove(room string) bool {
	if s.m != nil {
		_, ok := s.m[room]
		delete(s.m, room)
		return ok
	}
	i := slices.Index(s.list, room)
	if i < 0 {
		return false
	}
	last := len(s.list) - 1
	s.list[i] = s.list[last]
	s.list[last] = "" // the slot must not keep the room's string alive
	s.list = s.list[:last]
	if last == 0 {
		s.list = nil // a socket in no room keeps no backing array
	}
	return true
}

// sorted returns the rooms in order, in a new slice.
func (s *roomSet) sorted() []string {
	var rooms []string
	if s.m != nil {
		rooms = slices.Collect(maps.Keys(s.m))
	} else {
		rooms = slices.Clone(s.list)
	}
	slices.Sort(rooms)
	return rooms
}
