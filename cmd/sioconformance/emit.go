package main

import (
	"log/slog"

	"github.com/chatd/chatd/internal/socketio"
)

// The test servers ignore emit errors beyond logging them: an emit only fails when the
// socket is gone, and the client under test is the one to notice.

func emit(log *slog.Logger, s *socketio.Socket, event string, args ...any) {
	if err := s.Emit(event, args...); err != nil {
		log.Debug("emit", "socket", s.ID(), "event", event, "err", err)
	}
}

func emitPayload(log *slog.Logger, s *socketio.Socket, event string, p socketio.Payload) {
	if err := s.EmitPayload(event, p); err != nil {
		log.Debug("emit", "socket", s.ID(), "event", event, "err", err)
	}
}

func ack(log *slog.Logger, e *socketio.Event, args ...any) {
	if err := e.Ack(args...); err != nil {
		log.Debug("ack", "event", e.Name, "err", err)
	}
}
