package socketio

import "github.com/chatd/chatd/internal/engineio"

// Adapter keeps room membership and delivers broadcasts. One Adapter serves every
// namespace of a server. The in-process MemoryAdapter is the default; one that relays
// through a broker (Redis, say) would wrap a MemoryAdapter for local membership and
// delivery, publish each Broadcast's already-encoded messages and options to the other
// nodes, and hand what it receives from them to the MemoryAdapter's Broadcast.
//
// Every socket is a member of the room named by its own id from its first AddAll until
// DelAll. Methods may be called concurrently. Broadcast must not block on a slow
// receiver.
type Adapter interface {
	// AddAll adds the socket to rooms; with no rooms it only registers the socket (in
	// its own room). The server calls AddAll(s) when a socket connects.
	AddAll(s *Socket, rooms ...Room)
	// Del removes the socket from room.
	Del(s *Socket, room Room)
	// DelAll removes the socket from every room, its own included.
	DelAll(s *Socket)
	// SocketRooms returns the rooms of the socket, without its own id.
	SocketRooms(s *Socket) []Room
	// InRoom reports whether the socket is in room.
	InRoom(s *Socket, room Room) bool
	// Sockets returns the local sockets of namespace nsp in any of rooms, or all of
	// them when rooms is empty, each once.
	Sockets(nsp string, rooms []Room) []*Socket
	// Broadcast queues msgs (one encoded packet: text message and attachments) on
	// every socket of namespace nsp that opts selects, each socket at most once, and
	// returns how many local sockets it queued them on. msgs must not be modified.
	Broadcast(nsp string, msgs []engineio.Message, opts BroadcastOptions) (int, error)
}

// BroadcastOptions selects the receivers of a broadcast within one namespace.
type BroadcastOptions struct {
	// Rooms are the target rooms; empty means every socket of the namespace.
	Rooms []Room
	// Except excludes the sockets in any of these rooms.
	Except []Room
	// ExceptSockets excludes sockets by id.
	ExceptSockets []string
}

// excludesID reports whether opts excludes the socket id by id (not by room).
func (o *BroadcastOptions) excludesID(id string) bool {
	for _, x := range o.ExceptSockets {
		if x == id {
			return true
		}
	}
	return false
}
