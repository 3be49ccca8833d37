//go:build linux

package engineio

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller waits for idle WebSocket connections to become readable, so that an idle
// connection needs no goroutine at all: no parked stack, no goroutine struct.
//
// Each connection is in an epoll set of its own poller, one-shot: when bytes
// arrive, the poller hands the connection to a reader goroutine (wsTransport.
// serveReadable), which reads and handles what is there and then re-arms it. One-shot
// means at most one reader per connection at a time, which keeps per-session
// ordering. Readers are pooled, so a burst is handled on stacks already grown by
// earlier handlers instead of fresh 2 KB ones that grow again.
//
// The epoll descriptor is itself waited on through the Go runtime's netpoller (it is
// readable when events are ready), so the poller's goroutine parks like any network
// read, holding no thread. It runs only while connections are registered: the set is
// created with the first and closed with the last, so a Server needs no Close.
type poller struct {
	mu     sync.Mutex
	set    *epollSet               // guarded by mu; nil when conns is empty
	conns  map[uint64]*wsTransport // guarded by mu; by the id given to epoll
	nextID uint64                  // guarded by mu
}

// epollSet is one epoll instance, its wait goroutine and its reader pool.
type epollSet struct {
	fd   int
	file *os.File // fd, registered with the runtime's netpoller
	rc   syscall.RawConn
	work chan *wsTransport // unbuffered: a send succeeds only on an idle reader
	quit chan struct{}     // closed with the set: idle readers exit
	idle chan struct{}     // a token per idle reader, up to maxIdleReaders
}

// maxIdleReaders bounds the reader goroutines kept waiting between bursts; a busier
// moment starts more, which exit once done.
const maxIdleReaders = 16

// pollerEvents is how many ready connections one epoll_wait returns at most.
const pollerEvents = 128

func newPoller() *poller { return &poller{conns: make(map[uint64]*wsTransport)} }

// watch adds t's connection to the poller; the poller calls t.serveReadable when
// it has bytes. An error means t cannot be polled (the caller reads on a goroutine).
func (p *poller) watch(t *wsTransport) error {
	if t.nc.raw == nil {
		return errNotPollable
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set == nil {
		set, err := newEpollSet()
		if err != nil {
			return err
		}
		p.set = set
		go p.wait(set)
	}
	p.nextID++
	id := p.nextID
	if err := p.ctlLocked(t, unix.EPOLL_CTL_ADD, id); err != nil {
		p.closeIfEmptyLocked()
		return err
	}
	p.conns[id] = t
	t.pollID = id
	return nil
}

// rearm waits for t's next bytes after a reader has handled what was there.
func (p *poller) rearm(t *wsTransport) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[t.pollID] != t {
		return errNotPollable // forgotten: the connection is closing
	}
	return p.ctlLocked(t, unix.EPOLL_CTL_MOD, t.pollID)
}

// forget drops t (its connection is being closed, which also takes it out of the
// epoll set); the last one closes the set.
func (p *poller) forget(t *wsTransport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.pollID == 0 || p.conns[t.pollID] != t {
		return
	}
	// Closing the descriptor takes it out of the epoll set; an event already
	// returned for it finds no connection under its id and is dropped.
	delete(p.conns, t.pollID)
	p.closeIfEmptyLocked()
}

// ctlLocked adds or re-arms t's descriptor, one-shot, with id as its event data.
// RawConn.Control keeps the descriptor open meanwhile.
func (p *poller) ctlLocked(t *wsTransport, op int, id uint64) error {
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT,
		Fd:     int32(uint32(id)),
		Pad:    int32(uint32(id >> 32)),
	}
	var ctlErr error
	err := t.nc.raw.Control(func(fd uintptr) {
		ctlErr = unix.EpollCtl(p.set.fd, op, int(fd), &ev)
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

func (p *poller) closeIfEmptyLocked() {
	if len(p.conns) > 0 || p.set == nil {
		return
	}
	close(p.set.quit)
	_ = p.set.file.Close() // ends p.wait
	p.set = nil
}

func newEpollSet() (*epollSet, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("epoll nonblock: %w", err)
	}
	file := os.NewFile(uintptr(fd), "epoll")
	rc, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("epoll raw conn: %w", err)
	}
	return &epollSet{
		fd: fd, file: file, rc: rc,
		work: make(chan *wsTransport),
		quit: make(chan struct{}),
		idle: make(chan struct{}, maxIdleReaders),
	}, nil
}

// wait hands every connection that becomes readable to a reader, until the set is
// closed.
func (p *poller) wait(set *epollSet) {
	events := make([]unix.EpollEvent, pollerEvents)
	ready := make([]*wsTransport, 0, pollerEvents)
	for {
		var n int
		var waitErr error
		err := set.rc.Read(func(uintptr) bool {
			n, waitErr = unix.EpollWait(set.fd, events, 0)
			// Nothing ready: park until the runtime sees the epoll descriptor readable.
			return n > 0 || (waitErr != nil && waitErr != unix.EINTR)
		})
		if err != nil || waitErr != nil {
			return // the set was closed
		}
		ready = ready[:0]
		p.mu.Lock()
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if t := p.conns[id]; t != nil {
				ready = append(ready, t)
			}
		}
		p.mu.Unlock()
		for i, t := range ready {
			set.dispatch(t)
			ready[i] = nil
		}
	}
}

// dispatch gives t to an idle reader, or to a new one when all are busy.
func (set *epollSet) dispatch(t *wsTransport) {
	select {
	case set.work <- t:
	default:
		go set.reader(t)
	}
}

// reader serves t, then waits for the next connection while fewer than
// maxIdleReaders readers wait.
func (set *epollSet) reader(t *wsTransport) {
	for {
		t.serveReadable()
		select {
		case set.idle <- struct{}{}:
		default:
			return // enough readers wait already
		}
		select {
		case t = <-set.work:
			<-set.idle
		case <-set.quit:
			return
		}
	}
}
