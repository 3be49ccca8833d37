package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// HistoryResult is what the history scenario measured.
type HistoryResult struct {
	Prefill          int     `json:"prefill"`
	PrefillPerSec    float64 `json:"prefill_per_s"` // stored messages/s while filling
	Syncers          int     `json:"syncers"`
	Limit            int     `json:"limit"`
	Pages            uint64  `json:"pages"`
	PagesPerSec      float64 `json:"pages_per_s"`
	MessagesPerSec   float64 `json:"messages_per_s"`
	Latency          Latency `json:"latency"` // syncMessages sent → its ack
	PrefillAckErrors uint64  `json:"prefill_ack_errors"`
}

func (h *HistoryResult) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "  prefilled %d messages at %.0f/s; %d syncers, %d-message pages\n",
		h.Prefill, h.PrefillPerSec, h.Syncers, h.Limit)
	fmt.Fprintf(w, "  %.0f pages/s (%.0f messages/s)\n", h.PagesPerSec, h.MessagesPerSec)
	writeLatency(w, "page", h.Latency)
}

func (r *run) history(ctx context.Context, res *Result) error {
	o := r.o
	if o.Prefill < o.Limit+2 {
		return fmt.Errorf("prefill %d: need at least limit+2 = %d messages", o.Prefill, o.Limit+2)
	}
	room := r.name("history")
	out := &HistoryResult{Prefill: o.Prefill, Syncers: o.Concurrency, Limit: o.Limit}
	ids, err := r.prefill(ctx, room, out)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	return r.syncPages(ctx, res, out, room, ids)
}

// prefill stores o.Prefill messages in room from o.Publishers closed-loop writers and
// returns their ids.
func (r *run) prefill(ctx context.Context, room string, out *HistoryResult) ([]string, error) {
	o := r.o
	var stored atomic.Int64
	writers := make([]*writer, o.Publishers)
	for i := range writers {
		writers[i] = &writer{r: r, stored: &stored, target: int64(o.Prefill)}
		writers[i].tail = fmt.Appendf(nil, `","roomId":%q}]`, room)
	}
	sessions, err := r.dialAll(ctx, len(writers), func(i int) seat {
		return seat{h: writers[i], user: r.name("writer", i), rooms: []string{room}, server: i}
	})
	if err != nil {
		return nil, err
	}
	defer closeAll(sessions)
	start := time.Now()
	for i, w := range writers {
		w.s = sessions[i]
		for range o.Inflight {
			w.send()
		}
	}
	if err := waitFor(ctx, o.Progress, "prefill", func() bool { return stored.Load() >= int64(o.Prefill) },
		func() string { return fmt.Sprintf("%d/%d stored", stored.Load(), o.Prefill) }); err != nil {
		return nil, err
	}
	// Every stored id must be known, or a page would seem to skip one: wait for the
	// receipts still under way.
	idle := func() bool {
		for _, w := range writers {
			if w.inflight.Load() > 0 {
				return false
			}
		}
		return true
	}
	if err := waitFor(ctx, nil, "", idle, nil); err != nil {
		return nil, err
	}
	out.PrefillPerSec = round(float64(o.Prefill)/time.Since(start).Seconds(), 1)
	r.countDisconnects(sessions)
	closeAll(sessions) // before reading the ids: the readers are done then
	sessions = nil
	var ids []string
	for _, w := range writers {
		ids = append(ids, w.ids...)
		out.PrefillAckErrors += w.ackErr
	}
	return ids, nil
}

// writer is a prefill session: a closed loop of sendMessage that keeps the receipt ids.
type writer struct {
	r      *run
	s      *session
	tail   []byte
	stored *atomic.Int64 // across writers
	target int64

	inflight atomic.Int64 // messages sent and not yet acked

	mu     sync.Mutex // serialises the first sends with the reader's
	seq    int64      // guarded by mu
	buf    []byte     // guarded by mu
	ids    []string   // reader only, read after close
	ackErr uint64     // reader only, read after close
}

func (w *writer) send() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	b := appendEmitHead(w.buf[:0], w.seq, "sendMessage")
	b = append(b, `{"content":"history `...)
	b = strconv.AppendInt(b, w.seq, 10)
	for n := len(b); len(b)-n < w.r.o.Size-20; {
		b = append(b, 'x')
	}
	b = append(b, w.tail...)
	w.buf = b
	w.inflight.Add(1)
	if err := w.s.write(b); err != nil {
		w.inflight.Add(-1)
		w.r.errs.add("send", 1, err.Error())
	}
}

func (w *writer) onEvent(*session, []byte) {}

func (w *writer) onAck(_ *session, _ int64, data []byte) {
	defer w.inflight.Add(-1)
	id, ok := stringField(data, keyID)
	switch {
	case isErrorAck(data):
		w.ackErr++ // rate limited, most likely: sending again is the remedy
	case !ok:
		w.r.errs.add("bad_receipt", 1, truncate(data, 200))
	default:
		w.ids = append(w.ids, string(id))
		if w.stored.Add(1) >= w.target {
			return
		}
	}
	w.send()
}

// syncPages measures syncMessages pages after random ids of the room.
func (r *run) syncPages(ctx context.Context, res *Result, out *HistoryResult, room string, ids []string) error {
	o := r.o
	h := &syncing{r: r, ids: ids}
	syncers := make([]*syncer, o.Concurrency)
	for i := range syncers {
		syncers[i] = &syncer{h: h, rnd: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))}
		syncers[i].head = fmt.Appendf(nil, `{"roomId":%q,"limit":%d,"lastMessageId":"`, room, o.Limit)
	}
	sessions, err := r.dialAll(ctx, len(syncers), func(i int) seat {
		return seat{h: syncers[i], user: r.name("reader", i), rooms: []string{room}, server: i}
	})
	if err != nil {
		return err
	}
	defer closeAll(sessions)
	start := r.now()
	h.recordFrom.Store(start + int64(o.Warmup))
	h.stopAt.Store(start + int64(o.Warmup+o.Duration))
	for i, s := range syncers {
		s.s = sessions[i]
		s.next(start)
	}
	status := func() string { return fmt.Sprintf("%d pages, errors %d", h.pages.Load(), r.errs.total()) }
	if !hold(ctx, o.Progress, "warmup", o.Warmup, status) {
		return ctx.Err()
	}
	win := startWindow(o)
	p0 := h.pages.Load()
	hold(ctx, o.Progress, "measure", o.Duration, status)
	p1 := h.pages.Load()
	win.end(res, r.errs)
	out.Pages = p1 - p0
	out.PagesPerSec = perSecond(out.Pages, win.elapsed())
	out.MessagesPerSec = round(out.PagesPerSec*float64(o.Limit), 1)
	out.Latency = h.lat.Summary()
	r.countDisconnects(sessions)
	res.History = out
	return nil
}

// syncing is what the syncers share.
type syncing struct {
	r                  *run
	ids                []string     // sorted: room order
	recordFrom, stopAt atomic.Int64 // ns since origin, set once the readers run
	pages              atomic.Uint64
	lat                Histogram
}

// syncer is one session asking for pages in a closed loop, one at a time.
type syncer struct {
	h    *syncing
	s    *session
	head []byte

	// mu orders the first request, sent by the starter, with the reader's work; it is
	// never contended after that.
	mu        sync.Mutex
	rnd       *rand.Rand // guarded by mu
	seq       int64      // guarded by mu
	after     int        // guarded by mu: index in ids of the page's lastMessageId
	sentAt    int64      // guarded by mu: ns since origin
	received  int        // guarded by mu: newMessage events of the current page
	firstSeen bool       // guarded by mu
	buf       []byte     // guarded by mu
}

// next asks for the page after a random id that has a full page after it.
func (s *syncer) next(now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLocked(now)
}

func (s *syncer) nextLocked(now int64) {
	h := s.h
	s.seq++
	s.after = s.rnd.IntN(len(h.ids) - h.r.o.Limit - 1)
	s.sentAt, s.received, s.firstSeen = now, 0, false
	b := appendEmitHead(s.buf[:0], s.seq, "syncMessages")
	b = append(b, s.head...)
	b = append(b, h.ids[s.after]...)
	b = append(b, `"}]`...)
	s.buf = b
	if err := s.s.write(b); err != nil {
		h.r.errs.add("send", 1, err.Error())
	}
}

// onEvent counts the page's messages and checks that it starts right after the id
// asked for.
func (s *syncer) onEvent(_ *session, data []byte) {
	if !eventIs(data, "newMessage") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	if s.firstSeen {
		return
	}
	s.firstSeen = true
	if id, ok := stringField(data, keyID); !ok || string(id) != s.h.ids[s.after+1] {
		s.h.r.errs.add("wrong_page", 1, fmt.Sprintf("after %s got %s", s.h.ids[s.after], id))
	}
}

// onAck completes a page and asks for the next one.
func (s *syncer) onAck(_ *session, id int64, data []byte) {
	h := s.h
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.seq {
		return
	}
	now := h.r.now()
	switch {
	case isErrorAck(data):
		h.r.errs.add("refused:"+errorCode(data), 1, truncate(data, 200))
	case s.received != h.r.o.Limit:
		h.r.errs.add("short_page", 1, fmt.Sprintf("%d messages, want %d", s.received, h.r.o.Limit))
	default:
		if s.sentAt >= h.recordFrom.Load() && now <= h.stopAt.Load() {
			h.pages.Add(1)
			h.lat.Record(time.Duration(now - s.sentAt))
		}
	}
	if now < h.stopAt.Load() {
		s.nextLocked(now)
	}
}
