package socketio

// Connection-state recovery, as socket.io's in-memory SessionAwareAdapter does it: every
// EVENT broadcast without an ack (and, with recovery on, every Socket.Emit, which is a
// broadcast to the socket's own room) gets an offset appended as its last argument and
// is kept for MaxDisconnection. A socket that leaves for a recoverable reason leaves its
// {sid, pid, rooms, value} behind; a CONNECT carrying {"pid","offset"} within the
// window takes it back and is sent the kept packets after that offset that its rooms
// would have received.
//
// The log lives beside the namespace, not in the Adapter, behind the RecoveryStore
// interface. sessionLog, below, is the in-process default: offsets come from one
// in-process counter, so a socket recovers on the server it left; a store shared by a
// cluster (package broker's) lets it recover on any node.

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// sessionLog keeps one namespace's recent broadcasts and disconnected sessions in
// process; it is the default RecoveryLog.
type sessionLog struct {
	maxAge time.Duration

	mu       sync.Mutex
	seq      uint64                       // guarded by mu: the last offset handed out
	packets  []loggedPacket               // guarded by mu: ascending seq
	sessions map[string]*persistedSession // guarded by mu: by pid
	expiry   []*persistedSession          // guarded by mu: in persist order
}

// loggedPacket is one broadcast kept for replay.
type loggedPacket struct {
	seq  uint64
	at   time.Time
	msgs []engineio.Message
	opts BroadcastOptions
}

// persistedSession is what a disconnected socket leaves behind.
type persistedSession struct {
	sid, pid string
	rooms    []Room // without the socket's own id
	value    any
	at       time.Time // set by persist
}

func newSessionLog(maxAge time.Duration) *sessionLog {
	return &sessionLog{maxAge: maxAge, sessions: make(map[string]*persistedSession)}
}

// formatOffset renders a sequence number as the offset string clients echo back.
func formatOffset(seq uint64) string { return strconv.FormatUint(seq, 36) }

func parseOffset(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 36, 64)
	return v, err == nil
}

var _ RecoveryLog = (*sessionLog)(nil)

// Reserve hands out the next offset.
func (l *sessionLog) Reserve() string { return formatOffset(l.reserve()) }

func (l *sessionLog) reserve() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

// Append keeps an encoded broadcast under its offset and drops expired ones.
func (l *sessionLog) Append(offset string, msgs []engineio.Message, opts BroadcastOptions) {
	if seq, ok := parseOffset(offset); ok {
		l.append(seq, msgs, opts)
	}
}

func (l *sessionLog) append(seq uint64, msgs []engineio.Message, opts BroadcastOptions) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prunePacketsLocked(now)
	p := loggedPacket{seq: seq, at: now, msgs: msgs, opts: opts}
	// Concurrent broadcasts may append out of order; keep the slice sorted.
	i := len(l.packets)
	for i > 0 && l.packets[i-1].seq > seq {
		i--
	}
	l.packets = slices.Insert(l.packets, i, p)
}

func (l *sessionLog) prunePacketsLocked(now time.Time) {
	cutoff := now.Add(-l.maxAge)
	k := 0
	for k < len(l.packets) && l.packets[k].at.Before(cutoff) {
		k++
	}
	if k > 0 {
		clear(l.packets[:k])
		l.packets = l.packets[k:]
	}
}

// Persist keeps a disconnected socket's state for MaxDisconnection.
func (l *sessionLog) Persist(rs *RecoverySession) {
	l.persist(&persistedSession{sid: rs.SID, pid: rs.PID, rooms: rs.Rooms, value: rs.Value})
}

func (l *sessionLog) persist(s *persistedSession) {
	now := time.Now()
	s.at = now
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneSessionsLocked(now)
	l.sessions[s.pid] = s
	l.expiry = append(l.expiry, s)
}

func (l *sessionLog) pruneSessionsLocked(now time.Time) {
	cutoff := now.Add(-l.maxAge)
	k := 0
	for k < len(l.expiry) && l.expiry[k].at.Before(cutoff) {
		s := l.expiry[k]
		if l.sessions[s.pid] == s {
			delete(l.sessions, s.pid)
		}
		k++
	}
	if k > 0 {
		clear(l.expiry[:k])
		l.expiry = l.expiry[k:]
	}
}

// Restore takes the session pid back with the packets after offset it would have
// received.
func (l *sessionLog) Restore(pid, offset string) (*RecoverySession, [][]engineio.Message, bool) {
	s, seq, ok := l.take(pid, offset)
	if !ok {
		return nil, nil, false
	}
	missed := l.missedSince(seq, s.sid, s.rooms)
	return &RecoverySession{SID: s.sid, PID: s.pid, Rooms: s.rooms, Value: s.value}, missed, true
}

// take removes and returns the session pid if it has not expired and the packet at
// offset is still kept (otherwise the client may have missed packets that are gone),
// with the offset's sequence number.
func (l *sessionLog) take(pid, offset string) (*persistedSession, uint64, bool) {
	seq, ok := parseOffset(offset)
	if !ok {
		return nil, 0, false
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneSessionsLocked(now)
	l.prunePacketsLocked(now)
	s := l.sessions[pid]
	if s == nil {
		return nil, 0, false
	}
	if _, found := l.findLocked(seq); !found {
		return nil, 0, false
	}
	delete(l.sessions, pid)
	return s, seq, true
}

func (l *sessionLog) findLocked(seq uint64) (int, bool) {
	return slices.BinarySearchFunc(l.packets, seq, func(p loggedPacket, seq uint64) int {
		switch {
		case p.seq < seq:
			return -1
		case p.seq > seq:
			return 1
		}
		return 0
	})
}

// missedSince returns the kept packets after seq that a socket with this id and rooms
// would have received.
func (l *sessionLog) missedSince(seq uint64, sid string, rooms []Room) [][]engineio.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, found := l.findLocked(seq)
	if found {
		i++
	}
	var missed [][]engineio.Message
	for _, p := range l.packets[i:] {
		if p.opts.Includes(sid, rooms) {
			missed = append(missed, p.msgs)
		}
	}
	return missed
}
