package chat

import (
	"sort"
	"sync"

	"github.com/chatd/chatd/internal/broker"
)

// membership counts, per room, the sockets each user has in it. userJoinedRoom and
// userLeftRoom follow users, not sockets: they fire on a user's first socket in and last
// socket out, which this bookkeeping tells.
type membership struct {
	mu    sync.Mutex
	rooms map[string]map[string]int // guarded by mu; room → user → sockets in the room
}

func newMembership() *membership {
	return &membership{rooms: make(map[string]map[string]int)}
}

// join counts one more socket of user in room. firstOfUser reports the user's first;
// newRoom that the room had nobody before.
func (m *membership) join(user, room string) (firstOfUser, newRoom bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := m.rooms[room]
	if users == nil {
		users = make(map[string]int)
		m.rooms[room] = users
		newRoom = true
	}
	users[user]++
	return users[user] == 1, newRoom
}

// leave counts one socket of user less in room. lastOfUser reports the user's last;
// roomGone that the room has nobody now.
func (m *membership) leave(user, room string) (lastOfUser, roomGone bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := m.rooms[room]
	n, ok := users[user]
	if !ok {
		return false, false
	}
	if n > 1 {
		users[user] = n - 1
		return false, false
	}
	delete(users, user)
	if len(users) == 0 {
		delete(m.rooms, room)
		return true, true
	}
	return true, false
}

// members returns the users with a socket in room, sorted.
func (m *membership) members(room string) []string {
	m.mu.Lock()
	users := make([]string, 0, len(m.rooms[room]))
	for u := range m.rooms[room] {
		users = append(users, u)
	}
	m.mu.Unlock()
	sort.Strings(users)
	return users
}

// active returns the number of rooms with at least one socket.
func (m *membership) active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// pairs returns every (room, user) with a socket here, for the cluster registry.
func (m *membership) pairs() []broker.RoomUser {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []broker.RoomUser
	for room, users := range m.rooms {
		for u := range users {
			out = append(out, broker.RoomUser{Room: room, User: u})
		}
	}
	return out
}
