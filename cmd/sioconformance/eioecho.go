package main

import (
	"log/slog"

	"github.com/chatd/chatd/internal/engineio"
)

// echoHandler is the Engine.IO server of the engine.io-protocol suite: every message a
// client sends, text or binary, is sent straight back to it.
type echoHandler struct {
	log *slog.Logger
}

func (h echoHandler) Accept(s *engineio.Session) engineio.Receiver {
	return &echoReceiver{session: s, log: h.log.With("sid", s.ID())}
}

// echoReceiver echoes one session's messages. engineio never calls it concurrently.
type echoReceiver struct {
	session *engineio.Session
	log     *slog.Logger
}

func (r *echoReceiver) OnMessage(data []byte, binary bool) {
	// data is only valid during the call, and a queued Message must not change: copy it.
	msg := engineio.Message{Data: append([]byte(nil), data...), Binary: binary}
	if err := r.session.Send(msg); err != nil {
		r.log.Debug("echo message", "err", err)
	}
}

func (r *echoReceiver) OnClose(reason engineio.CloseReason) {
	r.log.Debug("session closed", "reason", reason.String())
}
