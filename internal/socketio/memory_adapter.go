package socketio

import (
	"slices"
	"sync"

	"github.com/chatd/chatd/internal/engineio"
)

// MemoryAdapter is the in-process Adapter: per namespace, a map from room to the set
// of its sockets, under a RWMutex. Broadcasts collect their receivers under the read
// lock and queue the messages after releasing it, so that a session closing during
// delivery (a full send queue) can leave its rooms without deadlocking.
type MemoryAdapter struct {
	mu   sync.RWMutex
	nsps map[string]*memoryNamespace // guarded by mu
	// targets pools *[]*Socket receiver lists of broadcasts.
	targets sync.Pool
}

// memoryNamespace is the membership of one namespace.
type memoryNamespace struct {
	mu      sync.RWMutex
	members map[string]*member            // guarded by mu: every registered socket, by id
	rooms   map[Room]map[*Socket]struct{} // guarded by mu: rooms other than socket ids
}

// member is one registered socket and the rooms it joined (not its own id).
type member struct {
	s     *Socket
	rooms []Room // guarded by memoryNamespace.mu
}

// NewMemoryAdapter returns an empty in-process adapter.
func NewMemoryAdapter() *MemoryAdapter {
	a := &MemoryAdapter{nsps: make(map[string]*memoryNamespace)}
	a.targets.New = func() any { return new([]*Socket) }
	return a
}

// namespace returns the membership of nsp, creating it if create is set.
func (a *MemoryAdapter) namespace(nsp string, create bool) *memoryNamespace {
	a.mu.RLock()
	ns := a.nsps[nsp]
	a.mu.RUnlock()
	if ns != nil || !create {
		return ns
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ns = a.nsps[nsp]; ns == nil {
		ns = &memoryNamespace{members: make(map[string]*member), rooms: make(map[Room]map[*Socket]struct{})}
		a.nsps[nsp] = ns
	}
	return ns
}

// AddAll adds the socket to rooms, registering it first if needed.
func (a *MemoryAdapter) AddAll(s *Socket, rooms ...Room) {
	ns := a.namespace(s.nsp.name, true)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	m := ns.members[s.id]
	if m == nil {
		m = &member{s: s}
		ns.members[s.id] = m
	}
	for _, r := range rooms {
		if r == Room(s.id) || slices.Contains(m.rooms, r) {
			continue
		}
		m.rooms = append(m.rooms, r)
		set := ns.rooms[r]
		if set == nil {
			set = make(map[*Socket]struct{})
			ns.rooms[r] = set
		}
		set[s] = struct{}{}
	}
}

// Del removes the socket from room.
func (a *MemoryAdapter) Del(s *Socket, room Room) {
	ns := a.namespace(s.nsp.name, false)
	if ns == nil {
		return
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	m := ns.members[s.id]
	if m == nil || m.s != s {
		return
	}
	if i := slices.Index(m.rooms, room); i >= 0 {
		m.rooms = slices.Delete(m.rooms, i, i+1)
		ns.leaveLocked(s, room)
	}
}

// DelAll removes the socket from every room and forgets it.
func (a *MemoryAdapter) DelAll(s *Socket) {
	ns := a.namespace(s.nsp.name, false)
	if ns == nil {
		return
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	m := ns.members[s.id]
	if m == nil || m.s != s {
		return
	}
	for _, r := range m.rooms {
		ns.leaveLocked(s, r)
	}
	delete(ns.members, s.id)
}

func (ns *memoryNamespace) leaveLocked(s *Socket, room Room) {
	set := ns.rooms[room]
	delete(set, s)
	if len(set) == 0 {
		delete(ns.rooms, room)
	}
}

// SocketRooms returns the rooms the socket joined, without its own id.
func (a *MemoryAdapter) SocketRooms(s *Socket) []Room {
	ns := a.namespace(s.nsp.name, false)
	if ns == nil {
		return nil
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	if m := ns.members[s.id]; m != nil && m.s == s {
		return slices.Clone(m.rooms)
	}
	return nil
}

// InRoom reports whether the socket is in room (its own id included).
func (a *MemoryAdapter) InRoom(s *Socket, room Room) bool {
	ns := a.namespace(s.nsp.name, false)
	if ns == nil {
		return false
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.inRoomLocked(s, room)
}

func (ns *memoryNamespace) inRoomLocked(s *Socket, room Room) bool {
	if room == Room(s.id) {
		m := ns.members[s.id]
		return m != nil && m.s == s
	}
	_, ok := ns.rooms[room][s]
	return ok
}

// Sockets returns the sockets of nsp in any of rooms, or all of them.
func (a *MemoryAdapter) Sockets(nsp string, rooms []Room) []*Socket {
	ns := a.namespace(nsp, false)
	if ns == nil {
		return nil
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.collectLocked(nil, BroadcastOptions{Rooms: rooms})
}

// Broadcast queues msgs on every selected socket of nsp.
func (a *MemoryAdapter) Broadcast(nsp string, msgs []engineio.Message, opts BroadcastOptions) (int, error) {
	ns := a.namespace(nsp, false)
	if ns == nil {
		return 0, nil
	}
	buf := a.targets.Get().(*[]*Socket)
	ns.mu.RLock()
	targets := ns.collectLocked((*buf)[:0], opts)
	ns.mu.RUnlock()
	n, failed := 0, 0
	for _, s := range targets {
		switch s.deliver(msgs) {
		case delivered:
			n++
		case deliveryFailed:
			failed++
		}
	}
	if len(targets) > 0 {
		// Counted once per broadcast: the per-receiver path touches no shared counter.
		st := &targets[0].nsp.stats
		st.eventsOut.Add(uint64(n))
		st.sendErrors.Add(uint64(failed))
	}
	clear(targets)
	*buf = targets[:0]
	a.targets.Put(buf)
	return n, nil
}

// collectLocked appends the sockets opts selects to dst, each once.
func (ns *memoryNamespace) collectLocked(dst []*Socket, opts BroadcastOptions) []*Socket {
	if len(opts.Rooms) == 0 {
		for _, m := range ns.members {
			if !ns.excludedLocked(m.s, &opts) {
				dst = append(dst, m.s)
			}
		}
		return dst
	}
	for i, r := range opts.Rooms {
		dst = ns.collectRoomLocked(dst, r, opts.Rooms[:i], &opts)
	}
	return dst
}

// collectRoomLocked appends the members of room that are not excluded and not in one
// of the rooms already collected.
func (ns *memoryNamespace) collectRoomLocked(dst []*Socket, room Room, earlier []Room, opts *BroadcastOptions) []*Socket {
	add := func(s *Socket) {
		for _, r := range earlier {
			if ns.inRoomLocked(s, r) {
				return
			}
		}
		if !ns.excludedLocked(s, opts) {
			dst = append(dst, s)
		}
	}
	if m := ns.members[string(room)]; m != nil {
		add(m.s)
	}
	for s := range ns.rooms[room] {
		add(s)
	}
	return dst
}

func (ns *memoryNamespace) excludedLocked(s *Socket, opts *BroadcastOptions) bool {
	if opts.excludesID(s.id) {
		return true
	}
	for _, r := range opts.Except {
		if ns.inRoomLocked(s, r) {
			return true
		}
	}
	return false
}

// deliveryResult is what became of a broadcast for one socket.
type deliveryResult int

const (
	delivered      deliveryResult = iota // queued on the session
	notConnected                         // the socket had left: nothing to count
	deliveryFailed                       // the session refused it (closed, or cut as a slow consumer)
)

// deliver queues a broadcast's messages on the socket's session, like send but
// leaving the counting to the broadcaster (all sockets of a broadcast share one
// namespace, hence one set of counters).
func (s *Socket) deliver(msgs []engineio.Message) deliveryResult {
	if !s.connected.Load() {
		return notConnected
	}
	if s.client.conn.Send(msgs...) != nil {
		return deliveryFailed
	}
	return delivered
}
