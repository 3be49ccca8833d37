package chat

import (
	"sync"
	"time"

	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
)

// Pipelined sends. A socket's events run one at a time on its reader, so a socket
// that waits for each message's commit before reading the next can store only one
// message per commit: with a durable store that caps a busy socket at a few hundred
// messages a second however fast the store batches. When the store commits appends in
// the order they were started (store.Pipeliner: SQLite), a sendMessage is checked and
// handed to the store on the reader, and the wait for its commit, the receipt and the
// broadcast move to the socket's send pipe, which answers them in order. The reader
// goes on to the next event at once:
//   - further sendMessage events join the pipe behind it, so their receipts, errors
//     and broadcasts keep the order the client sent them in;
//   - any other event first waits for the pipe to empty, so every other order the
//     contract shows (a message before the leave, the sync after the send) holds;
//   - a disconnect's bookkeeping joins the pipe rather than waiting for it (it may
//     happen inside a send of the pipe: a flood cut, or a slow consumer cut by a
//     broadcast), so the room still sees the messages before the user's leave.
// A socket has at most maxSendsInFlight sends in its pipe; past that its reader waits,
// and so does the client, which TCP slows down.

// maxSendsInFlight bounds the sends one socket may have in its pipe.
const maxSendsInFlight = 64

// sendPipe is one socket's sends in flight, answered in order by a goroutine that
// exists only while the pipe holds something.
type sendPipe struct {
	mu       sync.Mutex
	changed  *sync.Cond // made on first use; signals inFlight going down
	queue    []func()   // guarded by mu
	inFlight int        // guarded by mu: queued or running; > 0 while a drain goroutine exists
}

// push queues f behind the socket's other sends, waiting while the pipe is full.
func (p *sendPipe) push(f func()) {
	p.mu.Lock()
	if p.changed == nil {
		p.changed = sync.NewCond(&p.mu)
	}
	for p.inFlight >= maxSendsInFlight {
		p.changed.Wait()
	}
	p.queue = append(p.queue, f)
	p.inFlight++
	start := p.inFlight == 1 // nothing was in flight: no drain goroutine runs
	p.mu.Unlock()
	if start {
		go p.drain()
	}
}

// drain runs the queued sends in order until the pipe is empty.
func (p *sendPipe) drain() {
	p.mu.Lock()
	for len(p.queue) > 0 {
		f := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.mu.Unlock()
		f()
		p.mu.Lock()
		p.inFlight--
		p.changed.Broadcast()
	}
	p.queue = nil // the backing array of a burst is not kept by an idle socket
	p.mu.Unlock()
}

// after queues f behind the sends in flight and reports true, or reports false when
// none is in flight (the caller then runs f itself). It never waits, so it may be
// called from anywhere, a send of the pipe included.
func (p *sendPipe) after(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inFlight == 0 {
		return false
	}
	p.queue = append(p.queue, f)
	p.inFlight++
	return true
}

// wait returns once every send pushed before it has been answered.
func (p *sendPipe) wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.inFlight > 0 {
		p.changed.Wait()
	}
}

// onSendPipelined is onSend for a store.Pipeliner: everything after the checks, the
// refusals included, is answered from the socket's pipe, in order.
func (svc *Service) onSendPipelined(c *client, s *socketio.Socket, e *socketio.Event, pl store.Pipeliner) {
	refuse := func(err *Error) { c.sends.push(func() { svc.refuse(c, s, e, "sendMessage", err) }) }
	if err := svc.checkBinary(e); err != nil {
		refuse(err)
		return
	}
	plan, res, err := svc.planSend(c, firstArg(e.Args))
	switch {
	case err != nil:
		refuse(err)
		return
	case plan == nil: // an idempotent re-send answered from memory
		c.sends.push(func() { svc.deliverSend(c, s, e, res) })
		return
	}
	ctx, cancel := svc.storeContext()
	started := time.Now()
	wait := pl.StartAppend(ctx, plan.req.message(c.user))
	c.sends.push(func() {
		stored, dup, appendErr := wait()
		cancel()
		svc.metrics.storeCall("append", started)
		res, err := svc.finishSend(c, plan, stored, dup, appendErr)
		if err != nil {
			svc.refuse(c, s, e, "sendMessage", err)
			return
		}
		svc.deliverSend(c, s, e, res)
	})
}
