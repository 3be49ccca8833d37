package main

import (
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/chatd/chatd/internal/socketio"
)

// The /e2e namespace of the client-suite server is not part of server.ts: chatd's
// end-to-end tests (test/e2e/protocol) use it for what the client suite's server cannot
// do — broadcasts to test recovery of missed packets, server-side disconnects, and a
// flood to cut off a client that stops reading.
const (
	e2eNamespace = "/e2e"
	// e2eRefuseNamespace refuses every connection with a message and data.
	e2eRefuseNamespace = "/e2e-refuse"
	e2eRefuseMessage   = "refused by /e2e-refuse"
)

// Bounds of the "flood" event, so that a test cannot make the server allocate without
// limit.
const (
	maxFloodCount = 100_000
	maxFloodSize  = 64 << 10
)

type e2e struct {
	log *slog.Logger
}

// refusal is the data of the CONNECT_ERROR of /e2e-refuse: a fixed code and the auth
// payload the client sent, so that a test can tell the data was built for its request.
type refusal struct {
	Code int             `json:"code"`
	Auth json.RawMessage `json:"auth"`
}

// floodRequest is the argument of "flood": emit Count events of Size bytes each.
type floodRequest struct {
	Count int `json:"count"`
	Size  int `json:"size"`
}

// registerE2E sets up the /e2e namespace:
//   - "broadcast" (args…): every other socket of /e2e gets "broadcast" with the same
//     (non-binary) args;
//   - "disconnect-me" (closeConn bool): the server disconnects the socket, and with
//     closeConn also its Engine.IO session;
//   - "flood" ({count, size}): the server emits "flood" count times with a string of
//     size bytes, as fast as it can, until done or the socket is gone; then it acks
//     with the number of emits that succeeded.
//
// and the /e2e-refuse namespace, whose middleware refuses every connection with
// err.message "refused by /e2e-refuse" and err.data {code: 4242, auth: <the CONNECT auth>}.
func registerE2E(sio *socketio.Server, log *slog.Logger) {
	h := e2e{log: log}
	ns := sio.Of(e2eNamespace)
	ns.On("broadcast", h.broadcast)
	ns.On("disconnect-me", h.disconnectMe)
	ns.On("flood", h.flood)

	sio.Of(e2eRefuseNamespace).Use(refuseWithData)
}

// refuseWithData refuses every connection to /e2e-refuse with a message and data.
func refuseWithData(s *socketio.Socket) error {
	auth := s.Auth()
	if auth == nil {
		auth = jsNull
	}
	return &socketio.ConnectError{Message: e2eRefuseMessage, Data: refusal{Code: 4242, Auth: auth}}
}

func (h e2e) broadcast(s *socketio.Socket, e *socketio.Event) {
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		args[i] = a
	}
	if err := s.Broadcast().Emit("broadcast", args...); err != nil {
		h.log.Debug("broadcast", "socket", s.ID(), "err", err)
	}
}

func (h e2e) disconnectMe(s *socketio.Socket, e *socketio.Event) {
	var closeConn bool
	if err := e.Bind(&closeConn); err != nil {
		h.log.Debug("bind disconnect-me", "err", err)
	}
	s.Disconnect(closeConn)
}

func (h e2e) flood(s *socketio.Socket, e *socketio.Event) {
	var req floodRequest
	if err := e.Bind(&req); err != nil {
		h.log.Debug("bind flood", "err", err)
		return
	}
	req.Count = min(max(req.Count, 0), maxFloodCount)
	req.Size = min(max(req.Size, 0), maxFloodSize)
	chunk, err := json.Marshal(strings.Repeat("x", req.Size))
	if err != nil {
		h.log.Debug("encode flood", "err", err)
		return
	}
	p := socketio.Payload{Args: []json.RawMessage{chunk}}
	sent := 0
	for ; sent < req.Count; sent++ {
		if s.EmitPayload("flood", p) != nil {
			break
		}
	}
	h.log.Debug("flood done", "socket", s.ID(), "sent", sent, "asked", req.Count)
	ack(h.log, e, sent)
}
