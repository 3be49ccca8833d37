package socketio

import (
	"maps"
	"slices"
)

// EventHandler handles one event of one socket. Handlers of one socket run one at a
// time, in the order the events arrived.
type EventHandler func(s *Socket, e *Event)

// Middleware runs when a client connects to a namespace, before the socket counts as
// connected. It may read s.Handshake() and s.Auth() and store state with s.SetValue.
// A non-nil error refuses the connection (see ConnectError).
type Middleware func(s *Socket) error

// handlerTable is everything registered on a namespace. A table is never modified
// once published (Namespace.update swaps in a copy).
type handlerTable struct {
	events       map[string]namedHandler
	any          EventHandler
	middleware   []Middleware
	onConnect    func(*Socket)
	onDisconnect func(*Socket, DisconnectReason)
}

// namedHandler keeps the registered name so that dispatch can hand it out as
// Event.Name instead of allocating a string per event.
type namedHandler struct {
	name string
	h    EventHandler
}

func (t *handlerTable) clone() *handlerTable {
	c := *t
	c.events = maps.Clone(t.events)
	c.middleware = slices.Clip(t.middleware)
	return &c
}

// lookup returns the handler of an event name and the name as a string.
func (t *handlerTable) lookup(name []byte) (string, EventHandler) {
	if nh, ok := t.events[string(name)]; ok {
		return nh.name, nh.h
	}
	if t.any == nil {
		return "", nil
	}
	return string(name), t.any
}
