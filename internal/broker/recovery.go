package broker

// Connection-state recovery across the cluster: RedisRecovery is a
// socketio.RecoveryStore in the Redis the adapter relays through, so that a socket
// that left one node recovers on any node.
//
// Keys, per namespace nsp:
//
//	<prefix>:rec:<nsp>:log        stream of every broadcast of nsp: fields o (offset),
//	                              d (see logEntry.dep) and p (the envelope: options
//	                              and encoded packet)
//	<prefix>:rec:<nsp>:s:<pid>    a disconnected socket's session (JSON), with a TTL
//
// An offset is "<node tag>.<ms>.<seq>": the node's tag (8 random base-32 characters),
// its clock when the offset was reserved and a per-node sequence number (base 36). It
// is known before the packet is encoded, so the packet is still encoded once and
// relayed as is; the tag makes it unique in the cluster. Each broadcast costs one XADD, queued on the adapter's publish
// queue just before the broadcast's PUBLISH and sent in the same pipeline, off the
// broadcasting goroutine (and a PEXPIRE per namespace per quarter window). A broadcast
// is logged before it is published, so a broadcast made after another was seen (a
// reply) is logged after it, whichever nodes they came from.
//
// Replay. Publish batches run as MULTI/EXEC once recovery logs (see pipeline), so the
// log's order is the order in which Redis published the broadcasts, which is the
// order every node receives, and delivers, the other nodes' broadcasts in. A node
// delivers its own broadcasts at once, before they are logged; each of its entries
// records (field d) the last broadcast of another node it had delivered by then,
// which places it among the others' as that node's sockets saw them. A session
// records the node it was left on, and from the socket's last offset and those marks
// missedItems computes what the socket did not receive: once each, in log order.
// What remains inexact: broadcasts delivered concurrently on one node (two of its own,
// or one of its own and a relayed one, from different goroutines in the same
// microseconds) may reach its sockets in either order; and the node a socket recovers
// on reads the log before the socket is back in its rooms (and before it subscribes
// to rooms new to it), so a broadcast made in that window, about one Redis round trip,
// reaches it neither way.

import (
	"bytes"
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

const (
	// defaultRecoveryWindow is socketio's default MaxDisconnection.
	defaultRecoveryWindow = 2 * time.Minute
	// recoveryTimeout bounds each Redis round trip of recovery.
	recoveryTimeout = 2 * time.Second
	// clockSlack is how far a node's clock may be from Redis's and from other nodes'
	// (plus how long a broadcast may wait in the publish queue): offsets carry the node's
	// clock, stream ids Redis's.
	clockSlack = 10 * time.Second
	// logPage is how many stream entries one XRANGE of a replay reads.
	logPage = 512
)

// RecoveryOptions configures a RedisRecovery. The zero value works.
type RecoveryOptions struct {
	// Window is how long broadcasts and sessions are kept: socketio's
	// Recovery.MaxDisconnection. Zero means 2 minutes.
	Window time.Duration
	// EncodeValue and DecodeValue carry Socket.Value across nodes. When nil the value
	// is dropped: a recovered socket starts with a nil value (its namespace's
	// middleware, which runs again on recovery, can rebuild it).
	EncodeValue func(any) ([]byte, error)
	DecodeValue func([]byte) (any, error)
}

func (o *RecoveryOptions) window() time.Duration {
	if o == nil || o.Window <= 0 {
		return defaultRecoveryWindow
	}
	return o.Window
}

// RedisRecovery keeps the broadcasts and disconnected sessions of every namespace in
// Redis. It shares the adapter's connections and publish queue, and stops with it.
type RedisRecovery struct {
	a      *RedisAdapter
	opts   RecoveryOptions
	window time.Duration
	tag    string // this node's part of every offset
	seq    atomic.Uint64
	failed atomic.Uint64 // broadcasts not logged: queue full or XADD failed

	mu   sync.RWMutex
	logs map[string]*redisLog // guarded by mu: by namespace
}

var _ socketio.RecoveryStore = (*RedisRecovery)(nil)

// NewRedisRecovery returns the recovery store of the cluster a relays for. Use it
// before a carries broadcasts.
func NewRedisRecovery(a *RedisAdapter, opts *RecoveryOptions) *RedisRecovery {
	// 40 random bits: two of a cluster's nodes share a tag with odds of one in 10^12
	// per pair, and no counter in Redis has to outlive every node.
	r := &RedisRecovery{a: a, window: opts.window(), tag: rand.Text()[:8], logs: make(map[string]*redisLog)}
	if opts != nil {
		r.opts = *opts
	}
	a.rec.Store(r)
	return r
}

// Failed returns how many broadcasts could not be logged (a socket recovering past
// them does not get them).
func (r *RedisRecovery) Failed() uint64 { return r.failed.Load() }

// Log returns the log of namespace nsp.
func (r *RedisRecovery) Log(nsp string) socketio.RecoveryLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.logs[nsp]; l != nil {
		return l
	}
	base := r.a.prefix + ":rec:" + nsp
	l := &redisLog{r: r, nsp: nsp, stream: base + ":log", sessions: base + ":s:"}
	r.logs[nsp] = l
	return l
}

func (r *RedisRecovery) lookup(nsp string) *redisLog {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.logs[nsp]
}

// noteRelayed records e's offset as the last broadcast of another node this node
// delivered in e's namespace (see logEntry.dep).
func (a *RedisAdapter) noteRelayed(e *envelope) {
	r := a.rec.Load()
	if r == nil {
		return
	}
	l := r.lookup(e.nsp)
	if l == nil {
		return
	}
	if off, ok := packetOffset(e.msgs[0].Data); ok {
		l.relayed.Store(&off)
	}
}

// packetOffset returns the offset that ends an encoded EVENT packet: its last
// argument, a string without escapes.
func packetOffset(data []byte) (string, bool) {
	end := len(data) - 2
	if end < 0 || string(data[end:]) != `"]` {
		return "", false
	}
	start := bytes.LastIndexByte(data[:end], '"')
	if start < 1 || data[start-1] != ',' {
		return "", false
	}
	return string(data[start+1 : end]), true
}

// redisLog is one namespace's part of a RedisRecovery.
type redisLog struct {
	r        *RedisRecovery
	nsp      string
	stream   string       // the broadcast log's key
	sessions string       // prefix of the session keys
	expired  atomic.Int64 // UnixNano of the last TTL renewal queued
	// relayed is the offset of the last broadcast of another node delivered here.
	relayed atomic.Pointer[string]
}

// Reserve returns the next offset of this node.
func (l *redisLog) Reserve() string {
	b := make([]byte, 0, 32)
	b = append(b, l.r.tag...)
	b = append(b, '.')
	b = strconv.AppendInt(b, time.Now().UnixMilli(), 36)
	b = append(b, '.')
	b = strconv.AppendUint(b, l.r.seq.Add(1), 36)
	return string(b)
}

// offsetTime returns the clock reading in offset, in Unix milliseconds.
func offsetTime(offset string) (int64, bool) {
	_, rest, ok := strings.Cut(offset, ".")
	if !ok {
		return 0, false
	}
	ms, seq, ok := strings.Cut(rest, ".")
	if !ok || seq == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(ms, 36, 64)
	return v, err == nil && v >= 0
}

// Append queues the broadcast's log write on the adapter's publish queue, ahead of
// the broadcast's own publish. It never blocks: when Redis is known to be down or the
// queue is full the broadcast is not logged, and counted.
func (l *redisLog) Append(offset string, msgs []engineio.Message, opts socketio.BroadcastOptions) {
	a := l.r.a
	if !a.live.Load() {
		l.r.failed.Add(1)
		return
	}
	e := envelope{origin: a.node, nsp: l.nsp, opts: opts, msgs: msgs}
	buf := a.bufs.Get().(*[]byte)
	*buf = appendEnvelope(growBuf((*buf)[:0], envelopeSize(&e)), &e)
	select {
	case a.pubq <- publishJob{nsp: l.nsp, buf: buf, log: l.entry(offset)}:
	default:
		l.r.failed.Add(1)
		a.putBuf(buf)
	}
}

// expireDue reports whether this write should renew the stream's TTL: once per
// quarter window, so that a stream outlives its newest entry by at least the window
// and a namespace gone quiet leaves nothing behind.
func (l *redisLog) expireDue() bool {
	now := time.Now().UnixNano()
	last := l.expired.Load()
	return now-last >= int64(l.r.window/4) && l.expired.CompareAndSwap(last, now)
}

// entry returns the log write of this node's broadcast at offset, which is about to
// be delivered to the local sockets.
func (l *redisLog) entry(offset string) logEntry {
	e := logEntry{l: l, offset: offset, expire: l.expireDue()}
	if p := l.relayed.Load(); p != nil {
		e.dep = *p
	}
	return e
}

// logEntry is a broadcast's log write waiting in the publish queue.
type logEntry struct {
	l      *redisLog // nil: not a log write
	offset string
	// dep is the offset of the last broadcast of another node that this node had
	// delivered when it delivered this one: with it, a replay can tell where this
	// node's own broadcasts fell among the others' on its sockets (see missedItems).
	dep    string
	expire bool // renew the stream's TTL too
}

func (e *logEntry) set() bool { return e.l != nil }

// cmds is the number of commands queue adds.
func (e *logEntry) cmds() int {
	if e.expire {
		return 2
	}
	return 1
}

// queue adds the XADD of the envelope p, trimming entries older than the window (and
// the clock slack), and the TTL renewal when due.
func (e *logEntry) queue(ctx context.Context, pipe redis.Pipeliner, p []byte) {
	keep := e.l.r.window + clockSlack
	pipe.XAdd(ctx, &redis.XAddArgs{
		Stream: e.l.stream, Approx: true,
		MinID:  strconv.FormatInt(time.Now().Add(-keep).UnixMilli(), 10),
		Values: []any{"o", e.offset, "d", e.dep, "p", p},
	})
	if e.expire {
		pipe.PExpire(ctx, e.l.stream, keep+e.l.r.window/4)
	}
}

// done counts a failed write.
func (e *logEntry) done(failed bool) {
	if failed {
		e.l.r.failed.Add(1)
		e.l.expired.Store(0) // renew the TTL with the next write
	}
}

// pipeline returns the pipeline of one publish batch: a transaction (MULTI/EXEC) once
// a RedisRecovery logs, so that no other node's commands run between a broadcast's
// XADD and its PUBLISH: the log's order is then the order of the publishes, which is
// the order every subscriber receives them in.
func (a *RedisAdapter) pipeline() redis.Pipeliner {
	if a.rec.Load() != nil {
		return a.client.TxPipeline()
	}
	return a.client.Pipeline()
}
