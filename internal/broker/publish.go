package broker

import (
	"context"
	"time"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

const (
	// publishTimeout bounds one pipeline of PUBLISH commands.
	publishTimeout = 2 * time.Second
	// maxPublishBatch is how many queued broadcasts one pipeline carries at most.
	maxPublishBatch = 128
	// maxPooledEnvelope is the largest envelope buffer kept for reuse.
	maxPooledEnvelope = 64 << 10
)

// publishJob is one encoded broadcast waiting for publishLoop.
type publishJob struct {
	nsp   string
	rooms []socketio.Room // the target rooms; never modified (BroadcastOperator copies)
	buf   *[]byte         // the envelope, from a.bufs
	log   logEntry        // when set, a recovery log write (XADD) instead of a publish
}

// publish encodes the broadcast once and queues it. It never blocks: when Redis is
// known to be down or the queue is full the broadcast stays local and is counted.
func (a *RedisAdapter) publish(nsp string, msgs []engineio.Message, opts socketio.BroadcastOptions) {
	if !a.live.Load() {
		a.stat.publishErrors.Add(1)
		return
	}
	e := envelope{origin: a.node, nsp: nsp, opts: opts, msgs: msgs}
	buf := a.bufs.Get().(*[]byte)
	*buf = appendEnvelope(growBuf((*buf)[:0], envelopeSize(&e)), &e)
	select {
	case a.pubq <- publishJob{nsp: nsp, rooms: opts.Rooms, buf: buf}:
	default:
		a.stat.publishErrors.Add(1)
		a.putBuf(buf)
	}
}

// growBuf returns b with room for n more bytes.
func growBuf(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	return append(b, make([]byte, n)...)[:len(b)]
}

func (a *RedisAdapter) putBuf(buf *[]byte) {
	if cap(*buf) > maxPooledEnvelope {
		return
	}
	*buf = (*buf)[:0]
	a.bufs.Put(buf)
}

// publishLoop sends queued broadcasts, as many as are waiting in one pipeline, in
// queue order (so one node's broadcasts to a room arrive in order), until the adapter
// closes; then it publishes what is left once.
func (a *RedisAdapter) publishLoop() {
	defer a.wg.Done()
	batch := make([]publishJob, 0, maxPublishBatch)
	for {
		select {
		case j := <-a.pubq:
			batch = a.drainQueue(append(batch, j))
			a.publishBatch(context.Background(), batch)
			batch = batch[:0]
		case <-a.ctx.Done():
			if batch = a.drainQueue(batch); len(batch) > 0 {
				a.publishBatch(context.Background(), batch)
			}
			return
		}
	}
}

// drainQueue appends the waiting jobs to batch, up to maxPublishBatch.
func (a *RedisAdapter) drainQueue(batch []publishJob) []publishJob {
	for len(batch) < maxPublishBatch {
		select {
		case j := <-a.pubq:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// publishBatch publishes every job of batch to each of its channels in one pipeline
// and counts the outcome per job.
func (a *RedisAdapter) publishBatch(ctx context.Context, batch []publishJob) {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	pipe := a.pipeline()
	for _, j := range batch {
		if j.log.set() {
			j.log.queue(ctx, pipe, *j.buf)
			continue
		}
		if len(j.rooms) == 0 {
			pipe.Publish(ctx, a.namespaceChannel(j.nsp), *j.buf)
			continue
		}
		for _, r := range j.rooms {
			pipe.Publish(ctx, a.roomChannel(j.nsp, r), *j.buf)
		}
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		a.log.Debug("publish failed", "broadcasts", len(batch), "err", err)
	}
	for _, j := range batch {
		n := max(len(j.rooms), 1)
		if j.log.set() {
			n = j.log.cmds()
		}
		failed := len(cmds) < n
		for _, c := range cmds[:min(n, len(cmds))] {
			failed = failed || c.Err() != nil
		}
		cmds = cmds[min(n, len(cmds)):]
		if j.log.set() {
			j.log.done(failed)
		} else if failed {
			a.stat.publishErrors.Add(1)
		} else {
			a.stat.published.Add(1)
		}
		a.putBuf(j.buf)
	}
}

// namespaceChannel is the channel of broadcasts to all of namespace nsp.
func (a *RedisAdapter) namespaceChannel(nsp string) string {
	return a.prefix + ":" + nsp + ":all"
}
