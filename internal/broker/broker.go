// Package broker is a chatd cluster's shared state on Redis. Four parts, each usable
// alone:
//   - RedisAdapter (adapter.go …) relays encoded broadcasts between nodes; below.
//   - RedisRegistry (registry*.go) is the cluster-wide view of which users have
//     sockets in which rooms and their presence, node heartbeats and the reaping of
//     dead nodes, and per-user rate buckets shared by the nodes. The chat domain
//     consumes it through the Registry interface, in users, rooms and statuses only.
//   - RedisRecovery (recovery*.go) keeps broadcasts and disconnected sessions so a
//     client recovers its connection state on any node.
//   - The session directory (directory.go) tells a node which node owns a polling
//     session, so that requests can be relayed there without sticky sessions.
//
// The adapter relays already-encoded Socket.IO broadcasts between chatd nodes so
// that a room broadcast reaches the sockets of every node. It has no chat knowledge:
// it sits below the socketio layer's Adapter interface, wraps a socketio.MemoryAdapter
// for local membership and delivery, and carries each broadcast's encoded Engine.IO
// messages and its BroadcastOptions to the other nodes over Redis pub/sub.
//
// Data flow of a broadcast on node A:
//
//	socketio.Namespace → RedisAdapter.Broadcast ─┬→ MemoryAdapter (A's sockets, at once)
//	                                             └→ publish queue → PUBLISH per room channel
//	Redis → node B's receive loop → decode → MemoryAdapter.Broadcast (B's sockets)
//
// Channels are "<prefix>:<nsp>:r:<room>" for a room and "<prefix>:<nsp>:all" for a
// broadcast to a whole namespace; a node subscribes to a room's channel only while
// one of its sockets is in the room, so it only receives the rooms it serves.
//
// Limits: a broadcast to the private room of a socket on another node (its id) is not
// delivered, since nodes do not subscribe to socket-id rooms. Connection-state
// recovery across nodes needs RedisRecovery as the server's recovery store (see
// recovery.go for its offsets and replay order). A broadcast made
// while Redis is unreachable reaches the local sockets only; clients catch up through
// the chat domain's sync.
package broker

import "sync/atomic"

// Options tunes a RedisAdapter. The zero value works.
type Options struct {
	// Prefix starts every channel name so that several clusters can share one Redis;
	// every node of a cluster must use the same. Zero means "chatd".
	Prefix string
	// NodeID names this node in the envelopes it publishes; it must differ between
	// nodes. Empty means a random id.
	NodeID string
	// PublishQueue is how many broadcasts may wait to be published. When it is full
	// (Redis slow or unreachable) further broadcasts are delivered locally only and
	// counted as publish errors. Zero means 4096.
	PublishQueue int
}

const (
	defaultPrefix       = "chatd"
	defaultPublishQueue = 4096
)

func (o *Options) prefix() string {
	if o == nil || o.Prefix == "" {
		return defaultPrefix
	}
	return o.Prefix
}

func (o *Options) publishQueue() int {
	if o == nil || o.PublishQueue <= 0 {
		return defaultPublishQueue
	}
	return o.PublishQueue
}

// Stats are the adapter's counters since it was created.
type Stats struct {
	// Published counts broadcasts published to every channel they target.
	Published uint64
	// PublishErrors counts broadcasts that were not relayed to at least one channel:
	// Redis was down, the publish failed, or the publish queue was full.
	PublishErrors uint64
	// Received counts envelopes of other nodes received.
	Received uint64
	// Delivered counts the local sockets that relayed broadcasts were queued on.
	Delivered uint64
	// Invalid counts received payloads that did not decode or did not fit their
	// channel.
	Invalid uint64
}

// counters are the live values behind Stats; each field is atomic.
type counters struct {
	published     atomic.Uint64
	publishErrors atomic.Uint64
	received      atomic.Uint64
	delivered     atomic.Uint64
	invalid       atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Published:     c.published.Load(),
		PublishErrors: c.publishErrors.Load(),
		Received:      c.received.Load(),
		Delivered:     c.delivered.Load(),
		Invalid:       c.invalid.Load(),
	}
}
