package socketio

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/chatd/chatd/internal/engineio"
)

// Stats is a snapshot of a server's counters, for metrics.
type Stats struct {
	// Connections is the number of open Engine.IO sessions.
	Connections int
	// Namespaces holds one entry per namespace, sorted by name.
	Namespaces []NamespaceStats
}

// NamespaceStats are the counters of one namespace. Counters only grow.
type NamespaceStats struct {
	Name string
	// Sockets is the number of connected sockets.
	Sockets int
	// Connects and Disconnects count sockets that joined and left.
	Connects, Disconnects uint64
	// EventsIn counts events received from clients.
	EventsIn uint64
	// EventsOut counts event and ack packets queued on sessions: a broadcast to n
	// sockets counts n.
	EventsOut uint64
	// Broadcasts counts broadcasts (each encoded once, whatever its receivers).
	Broadcasts uint64
	// SendErrors counts packets a session refused (closed, or its queue full).
	SendErrors uint64
}

// namespaceCounters are the live counters behind NamespaceStats.
type namespaceCounters struct {
	connects, disconnects atomic.Uint64
	eventsIn, eventsOut   atomic.Uint64
	broadcasts            atomic.Uint64
	sendErrors            atomic.Uint64
}

// Stats returns the server's counters. It is cheap enough to call on every metrics
// scrape.
func (s *Server) Stats() Stats {
	s.mu.RLock()
	st := Stats{Connections: len(s.clients), Namespaces: make([]NamespaceStats, 0, len(s.nsps))}
	nsps := make([]*Namespace, 0, len(s.nsps))
	for _, n := range s.nsps {
		nsps = append(nsps, n)
	}
	s.mu.RUnlock()
	for _, n := range nsps {
		st.Namespaces = append(st.Namespaces, n.statsSnapshot())
	}
	slices.SortFunc(st.Namespaces, func(a, b NamespaceStats) int { return strings.Compare(a.Name, b.Name) })
	return st
}

func (n *Namespace) statsSnapshot() NamespaceStats {
	return NamespaceStats{
		Name:        n.name,
		Sockets:     n.SocketCount(),
		Connects:    n.stats.connects.Load(),
		Disconnects: n.stats.disconnects.Load(),
		EventsIn:    n.stats.eventsIn.Load(),
		EventsOut:   n.stats.eventsOut.Load(),
		Broadcasts:  n.stats.broadcasts.Load(),
		SendErrors:  n.stats.sendErrors.Load(),
	}
}

// EngineStats returns the counters of the Engine.IO server underneath (sessions opened
// and closed by reason, slow-consumer cuts, messages in and out). It is the zero value
// for a server whose clients are attached without Engine.IO (tests).
func (s *Server) EngineStats() engineio.Stats {
	if s.engine == nil {
		return engineio.Stats{}
	}
	return s.engine.Stats()
}
