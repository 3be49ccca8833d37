package store

import (
	"context"
	"time"
)

// BreakWALSync makes the next fsync of s's WAL fail, as a failing disk would. s must
// be a SQLite store.
func BreakWALSync(s Store) {
	_ = s.(*sqliteStore).w.sync.wal.Close()
}

// PausedWriter holds a SQLite store's writer inside a transaction of its own; writes
// queue up meanwhile and are committed together once it is released.
type PausedWriter struct {
	w *writer
	p *pauseOp
}

// PauseWriter pauses the writer of the SQLite store s.
func PauseWriter(s Store) *PausedWriter {
	w := s.(*sqliteStore).w
	p := &pauseOp{entered: make(chan struct{}), release: make(chan struct{})}
	w.queue <- p
	<-p.entered
	return &PausedWriter{w: w, p: p}
}

// WaitQueued returns once n writes wait in the queue.
func (pw *PausedWriter) WaitQueued(n int) {
	for len(pw.w.queue) < n {
		time.Sleep(time.Millisecond)
	}
}

// Release lets the writer go on; its next batch takes everything queued.
func (pw *PausedWriter) Release() { close(pw.p.release) }

// pauseOp is a writeOp that blocks the writer until released.
type pauseOp struct {
	entered, release chan struct{}
}

func (p *pauseOp) callerContext() context.Context { return context.Background() }
func (p *pauseOp) finish(error)                   {}
func (p *pauseOp) apply(*batch) error {
	close(p.entered)
	<-p.release
	return nil
}
