package engineio

import "errors"

// errNotPollable means a connection cannot be waited for by the poller (no
// descriptor, as under TLS; not Linux; or being closed).
var errNotPollable = errors.New("engineio: connection not pollable")

// startReading hands t's connection to the poller, which starts a reader when bytes
// arrive; a connection the poller cannot take is read by a goroutine of its own.
// Frames already buffered (the client's first, read with its upgrade request) are
// handled first, on the caller's goroutine.
func (t *wsTransport) startReading() {
	for t.nc.hasBuffered() {
		if !t.readOne() {
			return
		}
	}
	if err := t.s.srv.poller.watch(t); err != nil {
		go t.readLoop() // see wsTransport: frees net/http's per-request memory
	}
}

// serveReadable reads and handles the frames the connection has, then gives it
// back to the poller. It runs on one of the poller's readers.
func (t *wsTransport) serveReadable() {
	for {
		if !t.readOne() {
			return
		}
		if !t.nc.hasBuffered() {
			break
		}
	}
	if err := t.s.srv.poller.rearm(t); err != nil {
		t.endRead(err)
	}
}

// readOne reads one frame and acts on it; it reports false when reading has ended
// (and endRead has run).
func (t *wsTransport) readOne() bool {
	if err := t.readFrame(); err != nil {
		t.endRead(err)
		return false
	}
	return true
}

// closeNet closes the connection, which ends any read in progress, and takes it
// off the poller.
func (t *wsTransport) closeNet() {
	t.s.srv.poller.forget(t)
	_ = t.nc.Close()
}
