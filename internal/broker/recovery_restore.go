package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// storedSession is a session as kept in Redis.
type storedSession struct {
	Node  string   `json:"node"` // tag of the node the socket left
	SID   string   `json:"sid"`
	Rooms []string `json:"rooms,omitempty"`
	Value []byte   `json:"value,omitempty"` // RecoveryOptions.EncodeValue's
}

// Persist keeps the session for the window. It waits for Redis (bounded), so that a
// client reconnecting to another node at once finds it.
func (l *redisLog) Persist(s *socketio.RecoverySession) {
	if err := l.persist(s); err != nil {
		l.r.a.log.Debug("recovery: session not kept", "nsp", l.nsp, "err", err)
	}
}

func (l *redisLog) persist(s *socketio.RecoverySession) error {
	st := storedSession{Node: l.r.tag, SID: s.SID, Rooms: make([]string, len(s.Rooms))}
	for i, r := range s.Rooms {
		st.Rooms[i] = string(r)
	}
	if enc := l.r.opts.EncodeValue; enc != nil && s.Value != nil {
		v, err := enc(s.Value)
		if err != nil {
			return fmt.Errorf("encode value: %w", err)
		}
		st.Value = v
	}
	b, err := json.Marshal(&st)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), recoveryTimeout)
	defer cancel()
	if err := l.r.a.client.Set(ctx, l.sessions+s.PID, b, l.r.window).Err(); err != nil {
		return fmt.Errorf("set session: %w", err)
	}
	return nil
}

// Restore takes the session pid (GETDEL: one node wins) and reads the broadcasts
// after offset that it would have received.
func (l *redisLog) Restore(pid, offset string) (*socketio.RecoverySession, [][]engineio.Message, bool) {
	at, ok := offsetTime(offset)
	if !ok {
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*recoveryTimeout)
	defer cancel()
	s, node, err := l.takeSession(ctx, pid)
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			l.r.a.log.Debug("recovery: session not restored", "nsp", l.nsp, "err", err)
		}
		return nil, nil, false
	}
	missed, found, err := l.missedSince(ctx, offset, at, node, s)
	if err != nil || !found {
		l.r.a.log.Debug("recovery: offset not found", "nsp", l.nsp, "offset", offset, "err", err)
		return nil, nil, false
	}
	return s, missed, true
}

// takeSession removes and returns the session pid, with the tag of the node it was
// left on; redis.Nil when there is none.
func (l *redisLog) takeSession(ctx context.Context, pid string) (*socketio.RecoverySession, string, error) {
	b, err := l.r.a.client.GetDel(ctx, l.sessions+pid).Bytes()
	if err != nil {
		return nil, "", fmt.Errorf("take session: %w", err)
	}
	var st storedSession
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, "", fmt.Errorf("decode session: %w", err)
	}
	s := &socketio.RecoverySession{SID: st.SID, PID: pid, Rooms: make([]socketio.Room, len(st.Rooms))}
	for i, r := range st.Rooms {
		s.Rooms[i] = socketio.Room(r)
	}
	if dec := l.r.opts.DecodeValue; dec != nil && st.Value != nil {
		if s.Value, err = dec(st.Value); err != nil {
			return nil, "", fmt.Errorf("decode value: %w", err)
		}
	}
	return s, st.Node, nil
}

// missedSince reads the stream from shortly before offset's time and returns the
// packets of the entries the session's socket, which was on node, missed since it
// received offset (see missedItems) and that select it, oldest first. found is false
// when offset's entry is gone (or was never logged).
func (l *redisLog) missedSince(ctx context.Context, offset string, at int64, node string, s *socketio.RecoverySession) (missed [][]engineio.Message, found bool, err error) {
	items, err := l.readSince(ctx, max(at-clockSlack.Milliseconds(), 0))
	if err != nil {
		return nil, false, err
	}
	idx, found := missedItems(items, offset, node)
	for _, i := range idx {
		if msgs := l.selected(items[i], s); msgs != nil {
			missed = append(missed, msgs)
		}
	}
	return missed, found, nil
}

// logItem is one entry of the log as a replay reads it.
type logItem struct {
	id, offset, dep, payload string
}

// readSince returns the entries logged from Unix millisecond ms on.
func (l *redisLog) readSince(ctx context.Context, ms int64) ([]logItem, error) {
	var items []logItem
	start := strconv.FormatInt(ms, 10)
	for {
		page, err := l.r.a.client.XRangeN(ctx, l.stream, start, "+", logPage).Result()
		if err != nil {
			return nil, fmt.Errorf("read log: %w", err)
		}
		for _, m := range page {
			it := logItem{id: m.ID}
			it.offset, _ = m.Values["o"].(string)
			it.dep, _ = m.Values["d"].(string)
			it.payload, _ = m.Values["p"].(string)
			items = append(items, it)
		}
		if len(page) < logPage {
			return items, nil
		}
		start = "(" + page[len(page)-1].ID
	}
}

// missedItems returns the indexes of the items that a socket on the node tagged node
// did not receive if the last broadcast it received is x, in log order; found is false
// when x is not among the items.
//
// That node delivered its own broadcasts at once, before logging them, and the
// others' in log order (they reach it in publish order, which is log order). So the
// others' broadcasts after x in the log were delivered after x, and so were the
// node's own broadcasts logged after x: except those the node delivered before x
// arrived, which their dep (the last other node's broadcast the node had delivered)
// tells: dep is before x. When x is the node's own, the others' broadcasts it had
// delivered before x are those up to x's dep, even those logged after it, and
// everything after that dep was delivered after x.
func missedItems(items []logItem, x, node string) ([]int, bool) {
	px := slices.IndexFunc(items, func(it logItem) bool { return it.offset == x })
	if px < 0 {
		return nil, false
	}
	own := func(i int) bool { return offsetNode(items[i].offset) == node }
	var out []int
	if own(px) {
		pd := -1 // x's dep, or before the items read
		if d := items[px].dep; d != "" {
			pd = slices.IndexFunc(items[:px], func(it logItem) bool { return it.offset == d })
		}
		for i := range items {
			if i != px && (own(i) && i > px || !own(i) && i > pd) {
				out = append(out, i)
			}
		}
		return out, true
	}
	after := map[string]bool{x: true} // x and the others' broadcasts after it
	for i := px + 1; i < len(items); i++ {
		if !own(i) {
			after[items[i].offset] = true
			out = append(out, i)
		} else if after[items[i].dep] {
			out = append(out, i)
		}
	}
	return out, true
}

// offsetNode returns the tag of the node that reserved offset.
func offsetNode(offset string) string {
	tag, _, _ := strings.Cut(offset, ".")
	return tag
}

// selected returns the packet of it if it selects the session's socket.
func (l *redisLog) selected(it logItem, s *socketio.RecoverySession) []engineio.Message {
	e, err := decodeEnvelope([]byte(it.payload))
	if err != nil || e.nsp != l.nsp {
		l.r.a.log.Debug("recovery: drop invalid log entry", "id", it.id, "err", err)
		return nil
	}
	if !e.opts.Includes(s.SID, s.Rooms) {
		return nil
	}
	return e.msgs
}
