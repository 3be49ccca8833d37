package loadgen

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// FanoutResult is what the fanout scenario measured. Rates are over the measured
// window; counts (expected, delivered…) are over the whole run, after a drain.
type FanoutResult struct {
	Rooms      int     `json:"rooms"`
	Members    int     `json:"members"`
	Publishers int     `json:"publishers"` // per room
	Size       int     `json:"size"`
	Mode       string  `json:"mode"` // "closed" (inflight) or "open" (rate)
	Inflight   int     `json:"inflight,omitempty"`
	TargetRate float64 `json:"target_rate,omitempty"`

	SentPerSec      float64 `json:"sent_per_s"`
	AckedPerSec     float64 `json:"acked_per_s"`
	DeliveredPerSec float64 `json:"delivered_per_s"`

	Sent      uint64 `json:"sent"`
	Acked     uint64 `json:"acked"`      // successful acks (receipts)
	AckErrors uint64 `json:"ack_errors"` // refused sends, by code in Result.Errors
	Expected  uint64 `json:"expected"`   // acked × (members − 1)
	Delivered uint64 `json:"delivered"`  // newMessage received, duplicates excluded
	Lost      uint64 `json:"lost"`

	AckLatency      Latency `json:"ack_latency"`
	DeliveryLatency Latency `json:"delivery_latency"`
}

func (f *FanoutResult) writeSummary(w io.Writer) {
	mode := fmt.Sprintf("closed loop, %d in flight per publisher", f.Inflight)
	if f.Mode == "open" {
		mode = fmt.Sprintf("open loop at %.0f msg/s", f.TargetRate)
	}
	fmt.Fprintf(w, "  %d rooms × %d members, %d publisher(s) per room, %d B, %s\n",
		f.Rooms, f.Members, f.Publishers, f.Size, mode)
	fmt.Fprintf(w, "  sent %.0f/s  acked %.0f/s  delivered %.0f/s\n",
		f.SentPerSec, f.AckedPerSec, f.DeliveredPerSec)
	fmt.Fprintf(w, "  expected %d deliveries, got %d (lost %d)\n", f.Expected, f.Delivered, f.Lost)
	writeLatency(w, "ack", f.AckLatency)
	writeLatency(w, "delivery", f.DeliveryLatency)
}

// fanout is one run of the fanout scenario.
type fanout struct {
	r       *run
	members []*member // room-major: room i is members[i*M : (i+1)*M]
	pubs    []*publisher
	names   []string // room names

	// recordFrom and stopAt are ns since the run's origin, set before sending starts
	// (atomics because the readers started earlier): latencies of messages sent before
	// recordFrom (the warmup) are not recorded, and nothing is sent at or after stopAt.
	recordFrom, stopAt atomic.Int64

	ackLat, deliveryLat Histogram
}

// member is one socket in a room; every member receives, some also publish.
type member struct {
	f    *fanout
	room int
	pub  *publisher // nil for receivers only
	// lastSeq is the highest seq seen from each publisher of the room; reader only.
	lastSeq   []uint64
	delivered atomic.Uint64 // duplicates excluded
}

// publisher is the sending side of a member.
type publisher struct {
	s      *session
	room   int
	index  int    // among the room's publishers
	header []byte // `","roomId":"…"}]`, the tail of every sendMessage

	mu  sync.Mutex // serialises sends from the starter, the reader and the scheduler
	seq uint64     // guarded by mu: the last seq sent
	buf []byte     // guarded by mu

	sentAt              []atomic.Int64 // by seq & ringMask: send time, ns since origin
	sent, acked, ackErr atomic.Uint64
}

// ringSize bounds how many unacknowledged messages a publisher can time; it is far
// above any inflight window, and an open loop that falls this far behind times its acks
// from the wrong slot only for the overflowing messages.
const (
	ringSize = 1 << 16
	ringMask = ringSize - 1
)

func (r *run) fanout(ctx context.Context, res *Result) error {
	o := r.o
	f := &fanout{r: r}
	for i := range o.Rooms {
		f.names = append(f.names, r.name("room", i))
	}
	f.members = make([]*member, o.Rooms*o.Members)
	for i := range f.members {
		m := &member{f: f, room: i / o.Members, lastSeq: make([]uint64, o.Publishers)}
		if i%o.Members < o.Publishers {
			m.pub = &publisher{room: m.room, index: i % o.Members, sentAt: make([]atomic.Int64, ringSize)}
			m.pub.header = fmt.Appendf(nil, `","roomId":%q}]`, f.names[m.room])
			f.pubs = append(f.pubs, m.pub)
		}
		f.members[i] = m
	}
	sessions, err := r.dialAll(ctx, len(f.members), func(i int) seat {
		m, pos := f.members[i], i%o.Members
		return seat{h: m, user: r.name("user", m.room, pos), rooms: []string{f.names[m.room]},
			server: spread(m.room, pos, len(o.URLs))}
	})
	if err != nil {
		return err
	}
	defer closeAll(sessions)
	for i, m := range f.members {
		if m.pub != nil {
			m.pub.s = sessions[i]
		}
	}
	// Let the userJoinedRoom storm of the setup pass before timing anything.
	time.Sleep(500 * time.Millisecond)
	f.drive(ctx, res)
	r.countDisconnects(sessions)
	return nil
}

// drive sends for the warmup and the measured window, drains, and fills res.
func (f *fanout) drive(ctx context.Context, res *Result) {
	o := f.r.o
	start := f.r.now()
	f.recordFrom.Store(start + int64(o.Warmup))
	f.stopAt.Store(start + int64(o.Warmup+o.Duration))
	var wg sync.WaitGroup
	if o.Rate > 0 {
		f.startOpenLoop(ctx, &wg, start)
	} else {
		for _, p := range f.pubs {
			for range o.Inflight {
				f.send(p, f.r.now())
			}
		}
	}
	status := f.status()
	if !hold(ctx, o.Progress, "warmup", o.Warmup, status) {
		return
	}
	win := startWindow(o)
	c0 := f.counters()
	hold(ctx, o.Progress, "measure", o.Duration, status)
	c1 := f.counters()
	win.end(res, f.r.errs)
	wg.Wait()
	f.drain(ctx)
	f.fill(res, c0, c1, win.elapsed())
}

// startOpenLoop starts one scheduler per publisher; together they send o.Rate
// messages per second, evenly staggered.
func (f *fanout) startOpenLoop(ctx context.Context, wg *sync.WaitGroup, start int64) {
	interval := float64(len(f.pubs)) / f.r.o.Rate * float64(time.Second)
	for i, p := range f.pubs {
		offset := start + int64(interval*float64(i)/float64(len(f.pubs)))
		wg.Go(func() { f.schedule(ctx, p, offset, interval) })
	}
}

// schedule sends p's messages at offset + k·interval until stopAt. A message sent late
// carries its scheduled time, so a stalled server shows in the latency rather than
// lowering the send rate: no coordinated omission.
func (f *fanout) schedule(ctx context.Context, p *publisher, offset int64, interval float64) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := 0; ; k++ {
		at := offset + int64(math.Round(interval*float64(k)))
		if at >= f.stopAt.Load() {
			return
		}
		if wait := time.Duration(at - f.r.now()); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		f.send(p, at)
	}
}

// send sends p's next message, timed from at.
func (f *fanout) send(p *publisher, at int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	b := appendEmitHead(p.buf[:0], int64(p.seq), "sendMessage")
	b = append(b, `{"content":"`...)
	b = appendProbe(b, probe{room: p.room, pub: p.index, seq: p.seq, sent: at}, f.r.o.Size)
	b = append(b, p.header...)
	p.buf = b
	p.sentAt[p.seq&ringMask].Store(at)
	p.sent.Add(1)
	if err := p.s.write(b); err != nil {
		f.r.errs.add("send", 1, err.Error())
	}
}

// onAck handles a sendMessage ack: a receipt or a refusal. In a closed loop, it sends
// the next message.
func (m *member) onAck(s *session, id int64, data []byte) {
	p, f := m.pub, m.f
	if p == nil || id <= 0 {
		return
	}
	now := f.r.now()
	if isErrorAck(data) {
		p.ackErr.Add(1)
		f.r.errs.add("refused:"+errorCode(data), 1, truncate(data, 200))
	} else {
		p.acked.Add(1)
	}
	if at := p.sentAt[uint64(id)&ringMask].Load(); at >= f.recordFrom.Load() {
		f.ackLat.Record(time.Duration(now - at))
	}
	if f.r.o.Rate == 0 && now < f.stopAt.Load() {
		f.send(p, now)
	}
}

// onEvent checks and times a newMessage; other events are ignored.
func (m *member) onEvent(_ *session, data []byte) {
	if !eventIs(data, "newMessage") {
		return
	}
	f := m.f
	now := f.r.now()
	content, ok := stringField(data, keyContent)
	pr, ok2 := parseProbe(content)
	if !ok || !ok2 || pr.pub >= len(m.lastSeq) {
		f.r.errs.add("bad_message", 1, truncate(data, 200))
		return
	}
	if room, ok := stringField(data, keyRoomID); !ok || pr.room != m.room || string(room) != f.names[m.room] {
		f.r.errs.add("wrong_room", 1, truncate(data, 200))
		return
	}
	if m.pub != nil && pr.pub == m.pub.index {
		f.r.errs.add("self_delivery", 1, "a publisher received its own message")
		return
	}
	switch last := m.lastSeq[pr.pub]; {
	case pr.seq == last:
		f.r.errs.add("duplicate", 1, fmt.Sprintf("room %d publisher %d seq %d twice", pr.room, pr.pub, pr.seq))
		return
	case pr.seq < last:
		f.r.errs.add("reordered", 1, fmt.Sprintf("room %d publisher %d seq %d after %d", pr.room, pr.pub, pr.seq, last))
	default:
		m.lastSeq[pr.pub] = pr.seq
	}
	m.delivered.Add(1)
	if pr.sent >= f.recordFrom.Load() {
		f.deliveryLat.Record(time.Duration(now - pr.sent))
	}
}

// fanCounters is a snapshot of the run's counters.
type fanCounters struct {
	sent, acked, ackErr, delivered uint64
}

func (f *fanout) counters() fanCounters {
	var c fanCounters
	for _, p := range f.pubs {
		c.sent += p.sent.Load()
		c.acked += p.acked.Load()
		c.ackErr += p.ackErr.Load()
	}
	for _, m := range f.members {
		c.delivered += m.delivered.Load()
	}
	return c
}

// expected returns the deliveries that acked messages call for.
func (f *fanout) expected(c fanCounters) uint64 {
	return c.acked * uint64(f.r.o.Members-1)
}

// status returns the progress line: rates since the previous call.
func (f *fanout) status() func() string {
	prev, at := f.counters(), time.Now()
	return func() string {
		c, now := f.counters(), time.Now()
		d := now.Sub(at)
		line := fmt.Sprintf("sent %.0f/s  acked %.0f/s  delivered %.0f/s  errors %d",
			perSecond(c.sent-prev.sent, d), perSecond(c.acked-prev.acked, d),
			perSecond(c.delivered-prev.delivered, d), f.r.errs.total())
		prev, at = c, now
		return line
	}
}

// drain waits, up to o.Drain, for the acks and deliveries still under way.
func (f *fanout) drain(ctx context.Context) {
	deadline := time.Now().Add(f.r.o.Drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c := f.counters()
		if c.acked+c.ackErr == c.sent && c.delivered >= f.expected(c) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fill writes the scenario's section of res from the window's counters c0…c1.
func (f *fanout) fill(res *Result, c0, c1 fanCounters, window time.Duration) {
	o := f.r.o
	c := f.counters()
	out := &FanoutResult{
		Rooms: o.Rooms, Members: o.Members, Publishers: o.Publishers, Size: o.Size,
		Mode: "closed", Inflight: o.Inflight,
		SentPerSec:      perSecond(c1.sent-c0.sent, window),
		AckedPerSec:     perSecond(c1.acked-c0.acked, window),
		DeliveredPerSec: perSecond(c1.delivered-c0.delivered, window),
		Sent:            c.sent, Acked: c.acked, AckErrors: c.ackErr,
		Expected: f.expected(c), Delivered: c.delivered,
		AckLatency: f.ackLat.Summary(), DeliveryLatency: f.deliveryLat.Summary(),
	}
	if o.Rate > 0 {
		out.Mode, out.Inflight, out.TargetRate = "open", 0, o.Rate
	}
	if out.Expected > out.Delivered {
		out.Lost = out.Expected - out.Delivered
		f.r.errs.add("lost", out.Lost, fmt.Sprintf("%d of %d deliveries never arrived", out.Lost, out.Expected))
	}
	if missing := c.sent - c.acked - c.ackErr; missing > 0 {
		f.r.errs.add("unacked", missing, fmt.Sprintf("%d messages got no ack", missing))
	}
	res.Fanout = out
}
