package broker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetRedisLogger sends the go-redis driver's own diagnostics (failed dials, for
// instance) to logger as warnings instead of the standard error. go-redis has one
// logger per process, so this is for main to call once, before NewRedisAdapter.
func SetRedisLogger(logger *slog.Logger) {
	redis.SetLogger(driverLogger{logger.With("component", "go-redis")})
}

// driverLogger adapts slog to the go-redis logging interface.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}
