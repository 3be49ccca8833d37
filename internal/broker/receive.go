package broker

import (
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatd/chatd/internal/socketio"
)

const (
	// healthInterval is how long the receive loop waits for a message before it pings
	// the pub/sub connection to find out whether it is still alive.
	healthInterval = 15 * time.Second
	// Reconnect backoff bounds, doubling from min to max.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// receiveLoop reads the pub/sub connection until the adapter closes. go-redis
// reconnects on the next read after a failure and subscribes again to every wanted
// channel; the loop only waits with backoff between failed attempts and tracks
// whether the subscription is live.
func (a *RedisAdapter) receiveLoop() {
	defer a.wg.Done()
	backoff := minBackoff
	for {
		msg, err := a.pubsub.ReceiveTimeout(a.ctx, healthInterval)
		if a.ctx.Err() != nil {
			return
		}
		if err != nil {
			if isTimeout(err) {
				err = a.pubsub.Ping(a.ctx)
			}
			if err != nil {
				a.setLive(false, err)
				if !a.sleep(backoff) {
					return
				}
				backoff = min(2*backoff, maxBackoff)
			}
			continue
		}
		backoff = minBackoff
		switch m := msg.(type) {
		case *redis.Message:
			a.handleMessage(m)
		case *redis.Subscription, *redis.Pong:
			a.setLive(true, nil)
		}
	}
}

// setLive records whether the subscription is live, logging the transitions.
func (a *RedisAdapter) setLive(live bool, err error) {
	if a.live.Swap(live) == live {
		return
	}
	if live {
		a.log.Info("redis subscription live")
	} else {
		a.log.Warn("redis subscription lost, relaying paused", "err", err)
	}
}

// sleep waits d and reports whether the adapter is still open.
func (a *RedisAdapter) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.ctx.Done():
		return false
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// handleMessage delivers an envelope of another node to the local sockets it selects.
// A broadcast to several rooms arrives once per room channel; a socket takes the copy
// of the first of the target rooms it is in, so it receives the broadcast once
// without any per-broadcast state. If the socket joins or leaves one of the rooms
// between the copies (microseconds apart), it may get the broadcast twice or not at
// all, the same race a single-node server has between a join and a broadcast.
func (a *RedisAdapter) handleMessage(m *redis.Message) {
	e, err := decodeEnvelope([]byte(m.Payload))
	if err != nil {
		a.stat.invalid.Add(1)
		a.log.Debug("drop relayed broadcast", "channel", m.Channel, "err", err)
		return
	}
	if e.origin == a.node {
		return
	}
	a.stat.received.Add(1)
	opts, ok := a.localOptions(m.Channel, e)
	if !ok || len(e.msgs) == 0 {
		a.stat.invalid.Add(1)
		a.log.Debug("drop relayed broadcast not matching its channel", "channel", m.Channel)
		return
	}
	n, _ := a.mem.Broadcast(e.nsp, e.msgs, opts)
	a.stat.delivered.Add(uint64(n))
	a.noteRelayed(e)
}

// localOptions returns the options that select the local receivers of e's copy on
// channel: for a room channel, the members of that room that are in none of the
// earlier target rooms this node serves (those get the earlier rooms' copies). It
// reports false when channel is not one of e's channels.
func (a *RedisAdapter) localOptions(channel string, e *envelope) (socketio.BroadcastOptions, bool) {
	room, all, ok := a.parseChannel(channel, e.nsp)
	if !ok {
		return socketio.BroadcastOptions{}, false
	}
	opts := e.opts
	if all {
		return opts, len(opts.Rooms) == 0
	}
	i := slices.Index(opts.Rooms, room)
	if i < 0 {
		return socketio.BroadcastOptions{}, false
	}
	earlier := opts.Rooms[:i]
	opts.Rooms = opts.Rooms[i : i+1]
	if len(earlier) > 0 {
		opts.Except = a.servedRooms(slices.Clip(opts.Except), e.nsp, earlier)
	}
	return opts, true
}

// parseChannel splits a channel of namespace nsp into its room, or reports all for
// the namespace channel; ok is false for any other channel.
func (a *RedisAdapter) parseChannel(channel, nsp string) (room socketio.Room, all, ok bool) {
	rest, ok := strings.CutPrefix(channel, a.prefix)
	if !ok || !strings.HasPrefix(rest, ":") {
		return "", false, false
	}
	if rest, ok = strings.CutPrefix(rest[1:], nsp); !ok {
		return "", false, false
	}
	if rest == ":all" {
		return "", true, true
	}
	if r, ok := strings.CutPrefix(rest, ":r:"); ok {
		return socketio.Room(r), false, true
	}
	return "", false, false
}
