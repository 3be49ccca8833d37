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
// messages a second however fast the store batches. When the store commits a room's
// appends in the order they were started (store.Pipeliner: SQLite and PostgreSQL; a
// socket's messages to one room then keep their order in it), a sendMessage is checked and
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
	queue    []sendJob  // guarded by mu
	inFlight int        // guarded by mu: queued or running; > 0 while a drain goroutine exists
}

// sendJob is one answer of the pipe: run sends it, after waiting for the commit it
// needs; ready, when set, reports whether that commit is known (nil: nothing to wait for).
type sendJob struct {
	run   func()
	ready func() bool
}

func (j sendJob) isReady() bool { return j.ready == nil || j.ready() }

// corker holds a socket's writes back (socketio.Socket does).
type corker interface {
	Cork()
	Uncork()
}

// push queues j behind the socket's other sends, waiting while the pipe is full.
// sock is the socket the answers go to (nil: nothing to cork).
func (p *sendPipe) push(sock corker, j sendJob) {
	p.mu.Lock()
	if p.changed == nil {
		p.changed = sync.NewCond(&p.mu)
	}
	for p.inFlight >= maxSendsInFlight {
		p.changed.Wait()
	}
	p.queue = append(p.queue, j)
	p.inFlight++
	start := p.inFlight == 1 // nothing was in flight: no drain goroutine runs
	p.mu.Unlock()
	if start {
		go p.drain(sock)
	}
}

// drain runs the queued sends in order until the pipe is empty. While the next
// answer is ready as well as the current one (one commit stored both), the socket
// is corked, so that the receipts of one commit leave in one write; it is uncorked
// before anything that could wait.
func (p *sendPipe) drain(sock corker) {
	corked := false
	p.mu.Lock()
	for len(p.queue) > 0 {
		j := p.queue[0]
		p.queue[0] = sendJob{}
		p.queue = p.queue[1:]
		batch := sock != nil && len(p.queue) > 0 && j.isReady() && p.queue[0].isReady()
		p.mu.Unlock()
		if batch && !corked {
			sock.Cork()
			corked = true
		}
		j.run()
		if !batch && corked {
			sock.Uncork()
			corked = false
		}
		p.mu.Lock()
		p.inFlight--
		p.changed.Broadcast()
	}
	p.queue = nil // the backing array of a burst is not kept by an idle socket
	p.mu.Unlock()
	if corked {
		sock.Uncork()
	}
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
	p.queue = append(p.queue, sendJob{run: f})
	p.inFlight++
	return true
}

// busy reports whether sends are in flight.
func (p *sendPipe) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight > 0
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
	var sock corker // nil when there is no socket (tests): nothing to cork
	if s != nil {
		sock = s
	}
	refuse := func(err *Error) {
		c.sends.push(sock, sendJob{run: func() { svc.refuse(c, s, e, "sendMessage", err) }})
	}
	if err := svc.checkBinary(e); err != nil {
		refuse(err)
		return
	}
	plan, res, err := svc.planSend(c, firstArg(e.Args))
	if err != nil && err.Type == TypeRateLimit && c.sends.busy() {
		// The sends in flight may yet hand their tokens back (duplicates, failures) and
		// be remembered for idempotent re-sends through an empty bucket: a send refused
		// for rate is decided, as when sends ran one at a time, once they are answered.
		c.sends.wait()
		plan, res, err = svc.planSend(c, firstArg(e.Args))
	}
	switch {
	case err != nil:
		refuse(err)
		return
	case plan == nil: // an idempotent re-send answered from memory
		c.sends.push(sock, sendJob{run: func() { svc.deliverSend(c, s, e, res) }})
		return
	}
	ctx, cancel := svc.storeContext()
	started := time.Now()
	pending := pl.StartAppend(ctx, plan.req.message(c.user))
	c.sends.push(sock, sendJob{ready: pending.Ready, run: func() {
		stored, dup, appendErr := pending.Wait()
		cancel()
		svc.metrics.storeCall("append", started)
		res, err := svc.finishSend(c, plan, stored, dup, appendErr)
		if err != nil {
			svc.refuse(c, s, e, "sendMessage", err)
			return
		}
		svc.deliverSend(c, s, e, res)
	}})
}
