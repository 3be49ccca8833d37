package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// registryCallTimeout bounds one heartbeat, sync or reap.
const registryCallTimeout = 5 * time.Second

// Run starts the node's heartbeat: every TTL/3 it renews the node's deadline, replaces
// the node's entries by snapshot() when Redis lost them (a restart, or the node was
// reaped while partitioned) or a change failed, and reaps the nodes past their
// deadline, handing each loss to onLoss (on the heartbeat goroutine). Run returns at
// once; Close stops it.
func (r *RedisRegistry) Run(snapshot func() Snapshot, onLoss func(NodeLoss)) {
	ctx, stop := context.WithCancel(context.Background())
	r.stop, r.done = stop, make(chan struct{})
	go r.loop(ctx, snapshot, onLoss)
}

func (r *RedisRegistry) loop(ctx context.Context, snapshot func() Snapshot, onLoss func(NodeLoss)) {
	defer close(r.done)
	interval := max(r.ttl/3, 50*time.Millisecond)
	retry := min(interval, 500*time.Millisecond) // while Redis is down: notice its return soon
	t := time.NewTimer(0)
	defer t.Stop()
	registered, healthy := false, true
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.beat(ctx, &registered, snapshot, onLoss)
		switch {
		case err != nil && healthy:
			r.log.Warn("registry: heartbeat failed; presence and membership are per node until Redis answers", "err", err)
			healthy = false
		case err == nil && !healthy:
			r.log.Info("registry: heartbeat resumed")
			healthy = true
		}
		if healthy {
			t.Reset(interval)
		} else {
			t.Reset(retry)
		}
	}
}

// beat is one heartbeat: renew, re-register if needed, reap.
func (r *RedisRegistry) beat(ctx context.Context, registered *bool, snapshot func() Snapshot, onLoss func(NodeLoss)) error {
	cctx, cancel := context.WithTimeout(ctx, registryCallTimeout)
	defer cancel()
	res, err := scriptHeartbeat.Run(cctx, r.client, nil, r.tag, r.node, ttlMillis(r.ttl)).Slice()
	if err != nil {
		r.diverged.Store(true)
		r.noteErr(err)
		return fmt.Errorf("heartbeat: %w", err)
	}
	r.down.Store(false)
	added, dead, err := parseHeartbeat(res)
	if err != nil {
		return err
	}
	if added && *registered {
		r.log.Warn("registry: this node's entries were gone (Redis restarted, or the node was reaped); re-registering")
		r.diverged.Store(true)
	}
	*registered = true
	if r.diverged.Load() {
		if err := r.resync(cctx, snapshot); err != nil {
			return err
		}
	}
	for _, node := range dead {
		if node == r.node {
			continue
		}
		loss, err := r.reap(cctx, node)
		if err != nil {
			return err
		}
		if len(loss.Left) > 0 || len(loss.Offline) > 0 {
			r.log.Info("registry: node is gone; its users left", "dead_node", node,
				"room_leaves", len(loss.Left), "offline", len(loss.Offline))
			onLoss(loss)
		}
	}
	return nil
}

func parseHeartbeat(res []any) (added bool, dead []string, err error) {
	if len(res) != 2 {
		return false, nil, errors.New("heartbeat: unexpected reply")
	}
	n, _ := res[0].(int64)
	list, _ := res[1].([]any)
	for _, v := range list {
		if s, ok := v.(string); ok {
			dead = append(dead, s)
		}
	}
	return n == 1, dead, nil
}

// resync replaces the node's entries by its local state.
func (r *RedisRegistry) resync(ctx context.Context, snapshot func() Snapshot) error {
	r.sync.Lock()
	defer r.sync.Unlock()
	r.diverged.Store(false)
	snap := snapshot()
	args := make([]any, 0, 4+2*len(snap.Users)+len(snap.Rooms))
	args = append(args, r.tag, r.node, ttlMillis(r.ttl), len(snap.Users))
	for _, u := range snap.Users {
		args = append(args, u.User, u.Status)
	}
	for _, p := range snap.Rooms {
		args = append(args, p.Room+"\x1f"+p.User)
	}
	if err := scriptSync.Run(ctx, r.client, nil, args...).Err(); err != nil {
		r.diverged.Store(true)
		return fmt.Errorf("re-register node: %w", err)
	}
	r.log.Info("registry: node registered from local state", "users", len(snap.Users), "room_users", len(snap.Rooms))
	return nil
}

// reap takes a dead node's users out, unless another node did first.
func (r *RedisRegistry) reap(ctx context.Context, node string) (NodeLoss, error) {
	res, err := scriptReap.Run(ctx, r.client, nil, r.tag, node).Slice()
	if err != nil {
		return NodeLoss{}, fmt.Errorf("reap node %s: %w", node, err)
	}
	loss := NodeLoss{Node: node}
	if len(res) != 2 {
		return loss, errors.New("reap: unexpected reply")
	}
	left := strs(res[0])
	for i := 0; i+1 < len(left); i += 2 {
		loss.Left = append(loss.Left, RoomUser{Room: left[i], User: left[i+1]})
	}
	gone := strs(res[1])
	for i := 0; i+2 < len(gone); i += 3 {
		d := Departed{User: gone[i], Status: gone[i+1]}
		if gone[i+2] != "" {
			d.Rooms = strings.Split(gone[i+2], "\x1f")
		}
		loss.Offline = append(loss.Offline, d)
	}
	return loss, nil
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// Close stops the heartbeat and leaves the node's deadline at its users' grace period
// from now: the node's sockets are gone by then, and whichever node reaps it announces
// those of its users who did not come back elsewhere. Call it after the chat service
// has seen every socket leave.
func (r *RedisRegistry) Close() error {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryCallTimeout)
	defer cancel()
	if err := scriptDeadline.Run(ctx, r.client, nil, r.tag, r.node, ttlMillis(r.grace)).Err(); err != nil {
		// Not fatal: the other nodes reap this one when its last deadline passes.
		r.log.Warn("registry: could not hand over at close; the node is reaped after its TTL", "err", err)
	}
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("close registry: %w", err)
	}
	return nil
}

// Ready reports whether Redis answers.
func (r *RedisRegistry) Ready(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping registry redis: %w", err)
	}
	return nil
}
