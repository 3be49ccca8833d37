package broker

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotSubscribed is returned by Ready while the pub/sub connection is down.
var ErrNotSubscribed = errors.New("redis subscription is not live")

// Ready reports whether the adapter relays: its pub/sub connection is subscribed and
// Redis answers a PING within ctx.
func (a *RedisAdapter) Ready(ctx context.Context) error {
	if !a.live.Load() {
		return ErrNotSubscribed
	}
	if err := a.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Close stops relaying: it publishes the broadcasts still queued, closes the
// connections and waits for the adapter's goroutines. Call it after the Socket.IO
// server has shut down; local delivery keeps working until then.
func (a *RedisAdapter) Close() error {
	var err error
	a.once.Do(func() {
		a.stop()
		errs := []error{a.pubsub.Close()}
		a.wg.Wait()
		a.live.Store(false)
		errs = append(errs, a.client.Close())
		if err = errors.Join(errs...); err != nil {
			err = fmt.Errorf("close redis adapter: %w", err)
		}
	})
	return err
}
