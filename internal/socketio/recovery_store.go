package socketio

import (
	"slices"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// RecoveryStore keeps what connection-state recovery needs: the recent broadcasts of
// every namespace and the sessions of sockets that left for a recoverable reason. The
// default keeps them in process, so a socket recovers only on the server it left; a
// store shared by several servers (Redis, say) lets it recover on any of them.
type RecoveryStore interface {
	// Log returns the part of the store of namespace nsp. The server calls it once
	// per namespace.
	Log(nsp string) RecoveryLog
}

// RecoveryLog is one namespace's recent broadcasts and disconnected sessions. Its
// methods may be called concurrently.
type RecoveryLog interface {
	// Reserve returns the offset of a broadcast about to be encoded (it becomes the
	// packet's last argument): unique among every server sharing the store, and a
	// JSON string that needs no escaping.
	Reserve() string
	// Append keeps an encoded broadcast whose last argument is offset, for replay.
	// It must not block on I/O: it is called once per broadcast. msgs and opts must
	// not be modified.
	Append(offset string, msgs []engineio.Message, opts BroadcastOptions)
	// Persist keeps the state of a socket that left for a recoverable reason for the
	// recovery window.
	Persist(s *RecoverySession)
	// Restore takes back the session pid if it and the broadcast at offset are still
	// kept (a client whose offset is gone may have missed broadcasts that are gone
	// too), with the kept broadcasts after offset that its socket would have received
	// (see BroadcastOptions.Includes), oldest first. A session is restored at most
	// once. ok false refuses recovery: the client gets a new socket.
	Restore(pid, offset string) (s *RecoverySession, missed [][]engineio.Message, ok bool)
}

// RecoverySession is the state a disconnected socket leaves behind.
type RecoverySession struct {
	SID, PID string
	Rooms    []Room // without the socket's own id
	Value    any    // Socket.Value; a store that crosses processes may drop it
}

// Includes reports whether a socket with this id and rooms is one of the receivers o
// selects (socket.io's shouldIncludePacket).
func (o *BroadcastOptions) Includes(sid string, rooms []Room) bool {
	in := func(r Room) bool { return r == Room(sid) || slices.Contains(rooms, r) }
	if o.excludesID(sid) || slices.ContainsFunc(o.Except, in) {
		return false
	}
	return len(o.Rooms) == 0 || slices.ContainsFunc(o.Rooms, in)
}

// memoryRecovery is the default RecoveryStore: a sessionLog per namespace, in process.
type memoryRecovery struct{ maxAge time.Duration }

func (m memoryRecovery) Log(string) RecoveryLog { return newSessionLog(m.maxAge) }

// recoveryLog is a namespace's RecoveryLog as the namespace uses it.
type recoveryLog struct {
	store RecoveryLog

	// leaving holds, by socket id, the sockets of this process whose session is
	// persisted but who are still leaving (OnDisconnect, their rooms): a socket restored
	// with that id waits for the channel to close, so that it never shares an id with a
	// live socket in the adapter.
	mu      sync.Mutex
	leaving map[string]chan struct{} // guarded by mu
}

// newRecoveryLog returns the log of namespace nsp, or nil when recovery is off.
func newRecoveryLog(cfg *Recovery, nsp string) *recoveryLog {
	if cfg == nil {
		return nil
	}
	store := cfg.Store
	if store == nil {
		store = memoryRecovery{maxAge: cfg.maxDisconnection()}
	}
	return &recoveryLog{store: store.Log(nsp)}
}

func (l *recoveryLog) reserve() string { return l.store.Reserve() }

func (l *recoveryLog) append(offset string, msgs []engineio.Message, opts BroadcastOptions) {
	l.store.Append(offset, msgs, opts)
}

// persist keeps the session of a socket that is starting to leave; the socket calls
// the returned func once it has left everything.
func (l *recoveryLog) persist(s *persistedSession) (left func()) {
	done := make(chan struct{})
	l.mu.Lock()
	if l.leaving == nil {
		l.leaving = make(map[string]chan struct{})
	}
	l.leaving[s.sid] = done
	l.mu.Unlock()
	l.store.Persist(&RecoverySession{SID: s.sid, PID: s.pid, Rooms: s.rooms, Value: s.value})
	return func() {
		l.mu.Lock()
		if l.leaving[s.sid] == done {
			delete(l.leaving, s.sid)
		}
		l.mu.Unlock()
		close(done)
	}
}

// awaitLeft returns once the socket of this process that had id sid has left; at
// once if there is none.
func (l *recoveryLog) awaitLeft(sid string) {
	l.mu.Lock()
	done := l.leaving[sid]
	l.mu.Unlock()
	if done != nil {
		<-done
	}
}

// take restores the session pid with the packets it missed.
func (l *recoveryLog) take(pid, offset string) (*persistedSession, [][]engineio.Message, bool) {
	s, missed, ok := l.store.Restore(pid, offset)
	if !ok {
		return nil, nil, false
	}
	return &persistedSession{sid: s.SID, pid: s.PID, rooms: s.Rooms, value: s.Value}, missed, true
}
