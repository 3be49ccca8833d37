package chat

import (
	"context"
	"log/slog"
	"runtime"
	"time"
)

// clientLog logs for one socket: every record carries the socket and user attributes.
// It is built on demand from the client's fields instead of kept as a
// slog.Logger.With, whose pre-formatted attributes cost every idle socket a few
// hundred bytes although most sockets never log.
type clientLog struct {
	base         *slog.Logger
	socket, user string
}

func (l clientLog) Debug(msg string, args ...any) { l.log(slog.LevelDebug, msg, args) }
func (l clientLog) Info(msg string, args ...any)  { l.log(slog.LevelInfo, msg, args) }
func (l clientLog) Warn(msg string, args ...any)  { l.log(slog.LevelWarn, msg, args) }
func (l clientLog) Error(msg string, args ...any) { l.log(slog.LevelError, msg, args) }

// log writes one record as base.With("socket", …, "user", …).Log would: the same
// attributes in the same order, and the caller's source position.
func (l clientLog) log(level slog.Level, msg string, args []any) {
	ctx := context.Background()
	h := l.base.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:]) // skip Callers, log and the level method
	r := slog.NewRecord(time.Now(), level, msg, pcs[0])
	r.AddAttrs(slog.String("socket", l.socket), slog.String("user", l.user))
	r.Add(args...)
	_ = h.Handle(ctx, r) // as slog.Logger does, a failing handler is not reported
}
