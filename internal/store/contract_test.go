package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// opener opens a fresh, empty store for one test.
type opener func(t *testing.T) store.Store

func openMemory(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestMemory(t *testing.T) { testStore(t, openMemory) }
func TestSQLite(t *testing.T) { testStore(t, openSQLite) }

// testStore is the contract every Store implementation must meet.
func testStore(t *testing.T, open opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"AppendAssigns", testAppendAssigns},
		{"IDsSortLikeSeq", testIDsSortLikeSeq},
		{"GapFreeUnderConcurrency", testGapFreeUnderConcurrency},
		{"Idempotency", testIdempotency},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"GetAndReplies", testGetAndReplies},
		{"Paging", testPaging},
		{"InvalidLimit", testInvalidLimit},
		{"ReadMarkers", testReadMarkers},
		{"CancelledContext", testCancelledContext},
		{"Closed", testClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			defer func() {
				if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
					t.Errorf("Close: %v", err)
				}
			}()
			tt.run(t, s)
		})
	}
}

func mustAppend(t *testing.T, s store.Store, m store.Message) store.Message {
	t.Helper()
	got, dup, err := s.Append(context.Background(), m)
	if err != nil {
		t.Fatalf("Append(%+v): %v", m, err)
	}
	if dup {
		t.Fatalf("Append(%+v): unexpected duplicate", m)
	}
	return got
}

func msg(room, sender, content string) store.Message {
	return store.Message{Room: room, Sender: sender, Content: content}
}

func testAppendAssigns(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Millisecond)
	in := msg("r1", "alice", "hello")
	in.ClientMessageID = "c1"
	got := mustAppend(t, s, in)
	if got.Seq != 1 || got.ID == "" {
		t.Fatalf("first message: seq %d id %q, want seq 1 and an id", got.Seq, got.ID)
	}
	if got.Room != "r1" || got.Sender != "alice" || got.Content != "hello" || got.ClientMessageID != "c1" {
		t.Fatalf("fields changed: %+v", got)
	}
	if got.CreatedAt.Location() != time.UTC || got.CreatedAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("CreatedAt %v: want UTC with millisecond precision", got.CreatedAt)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now()) {
		t.Fatalf("CreatedAt %v is not now", got.CreatedAt)
	}
	second := mustAppend(t, s, msg("r1", "bob", "hi"))
	other := mustAppend(t, s, msg("r2", "bob", "elsewhere"))
	if second.Seq != 2 || other.Seq != 1 {
		t.Fatalf("seqs: r1 second %d, r2 first %d; want 2 and 1", second.Seq, other.Seq)
	}
	if second.ID == got.ID || other.ID == got.ID {
		t.Fatalf("ids not unique: %q %q %q", got.ID, second.ID, other.ID)
	}
	stored, err := s.Get(context.Background(), "r1", got.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(stored, got) {
		t.Fatalf("Get = %+v, Append returned %+v", stored, got)
	}
}

func testIDsSortLikeSeq(t *testing.T, s store.Store) {
	var ids []string
	for i := range 80 { // crosses the base-36 digit boundary at 36
		ids = append(ids, mustAppend(t, s, msg("r", "u", fmt.Sprint(i))).ID)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatalf("ids do not sort like seq: %v", ids)
	}
}

func testGapFreeUnderConcurrency(t *testing.T, s store.Store) {
	const senders, perSender = 50, 40
	rooms := []string{"a", "b", "c"}
	var (
		mu   sync.Mutex
		seqs = map[string][]int64{}
		ids  = map[string]bool{}
		wg   sync.WaitGroup
	)
	for g := range senders {
		wg.Go(func() {
			for i := range perSender {
				room := rooms[(g+i)%len(rooms)]
				m, dup, err := s.Append(context.Background(), msg(room, fmt.Sprint("u", g), fmt.Sprint(i)))
				if err != nil || dup {
					t.Errorf("Append: dup %v err %v", dup, err)
					return
				}
				mu.Lock()
				seqs[room] = append(seqs[room], m.Seq)
				ids[m.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(ids) != senders*perSender {
		t.Fatalf("%d distinct ids, want %d", len(ids), senders*perSender)
	}
	for _, room := range rooms {
		got := seqs[room]
		slices.Sort(got)
		for i, seq := range got {
			if seq != int64(i+1) {
				t.Fatalf("room %s: seqs not 1..%d: position %d has %d", room, len(got), i, seq)
			}
		}
		page, more, err := s.After(context.Background(), room, 0, store.MaxPageSize)
		if err != nil || more || len(page) != len(got) {
			t.Fatalf("After(%s): %d msgs, more %v, err %v; want %d", room, len(page), more, err, len(got))
		}
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := msg("r", "alice", "first")
	in.ClientMessageID = "k1"
	orig := mustAppend(t, s, in)

	again := in
	again.Content = "changed on resend"
	got, dup, err := s.Append(ctx, again)
	if err != nil || !dup {
		t.Fatalf("resend: dup %v err %v, want duplicate", dup, err)
	}
	if !reflect.DeepEqual(got, orig) {
		t.Fatalf("resend returned %+v, want the original %+v", got, orig)
	}
	// The key is per sender and per room; an empty key never deduplicates.
	otherSender := in
	otherSender.Sender = "bob"
	otherRoom := in
	otherRoom.Room = "r2"
	for _, m := range []store.Message{otherSender, otherRoom, msg("r", "alice", "no key"), msg("r", "alice", "no key")} {
		mustAppend(t, s, m)
	}
	all, _, err := s.After(ctx, "r", 0, 10)
	if err != nil || len(all) != 4 {
		t.Fatalf("room r has %d messages (err %v), want 4", len(all), err)
	}
}

func testConcurrentDuplicates(t *testing.T, s store.Store) {
	const n = 32
	in := msg("r", "alice", "once")
	in.ClientMessageID = "same"
	results := make([]store.Message, n)
	dups := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			results[i], dups[i], err = s.Append(context.Background(), in)
			if err != nil {
				t.Errorf("Append: %v", err)
			}
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if !dups[i] {
			fresh++
		}
		if results[i].ID != results[0].ID || results[i].Seq != 1 {
			t.Fatalf("result %d = %+v, want the one message (id %s, seq 1)", i, results[i], results[0].ID)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d appends reported a new message, want exactly 1", fresh)
	}
	all, _, err := s.Latest(context.Background(), "r", 10)
	if err != nil || len(all) != 1 {
		t.Fatalf("room has %d messages (err %v), want 1", len(all), err)
	}
}

func testGetAndReplies(t *testing.T, s store.Store) {
	ctx := context.Background()
	parent := mustAppend(t, s, msg("r", "alice", "question"))
	reply := msg("r", "bob", "answer")
	reply.ReplyTo = parent.ID
	reply.Attachment = json.RawMessage(`{"url":"https://x.example/a.png","type":"image/png","name":"a.png"}`)
	reply.Metadata = json.RawMessage(`{"k":[1,2,{"z":null}]}`)
	stored := mustAppend(t, s, reply)

	got, err := s.Get(ctx, "r", stored.ID)
	if err != nil {
		t.Fatalf("Get reply: %v", err)
	}
	if got.ReplyTo != parent.ID || string(got.Attachment) != string(reply.Attachment) || string(got.Metadata) != string(reply.Metadata) {
		t.Fatalf("reply round trip: %+v", got)
	}
	if p, err := s.Get(ctx, "r", got.ReplyTo); err != nil || p.Content != "question" {
		t.Fatalf("Get replied-to: %+v, %v", p, err)
	}
	if plain, _ := s.Get(ctx, "r", parent.ID); plain.Attachment != nil || plain.Metadata != nil {
		t.Fatalf("absent JSON fields read back as %q, %q; want nil", plain.Attachment, plain.Metadata)
	}
	mustAppend(t, s, msg("other", "alice", "x"))
	for _, tc := range []struct{ room, id string }{{"other", parent.ID}, {"r", "missing"}, {"nope", parent.ID}} {
		if _, err := s.Get(ctx, tc.room, tc.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q, %q) err = %v, want ErrNotFound", tc.room, tc.id, err)
		}
	}
}

func testPaging(t *testing.T, s store.Store) {
	for i := 1; i <= 10; i++ {
		mustAppend(t, s, msg("r", "u", fmt.Sprint(i)))
	}
	tests := []struct {
		name     string
		page     func() ([]store.Message, bool, error)
		from, to int64 // expected seqs from..to; from > to means empty
		hasMore  bool
	}{
		{"Latest3", func() ([]store.Message, bool, error) { return s.Latest(context.Background(), "r", 3) }, 8, 10, true},
		{"Latest9", func() ([]store.Message, bool, error) { return s.Latest(context.Background(), "r", 9) }, 2, 10, true},
		{"Latest10", func() ([]store.Message, bool, error) { return s.Latest(context.Background(), "r", 10) }, 1, 10, false},
		{"Latest50", func() ([]store.Message, bool, error) { return s.Latest(context.Background(), "r", 50) }, 1, 10, false},
		{"LatestEmptyRoom", func() ([]store.Message, bool, error) { return s.Latest(context.Background(), "none", 5) }, 1, 0, false},
		{"After0", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", 0, 3) }, 1, 3, true},
		{"After6", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", 6, 3) }, 7, 9, true},
		{"After7", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", 7, 3) }, 8, 10, false},
		{"After9", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", 9, 3) }, 10, 10, false},
		{"After10", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", 10, 3) }, 1, 0, false},
		{"AfterPastEnd", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", 99, 3) }, 1, 0, false},
		{"AfterNegative", func() ([]store.Message, bool, error) { return s.After(context.Background(), "r", -5, 2) }, 1, 2, true},
		{"AfterEmptyRoom", func() ([]store.Message, bool, error) { return s.After(context.Background(), "none", 0, 5) }, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, more, err := tt.page()
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			var got []int64
			for _, m := range msgs {
				got = append(got, m.Seq)
			}
			var want []int64
			for seq := tt.from; seq <= tt.to; seq++ {
				want = append(want, seq)
			}
			if !slices.Equal(got, want) || more != tt.hasMore {
				t.Fatalf("seqs %v hasMore %v, want %v hasMore %v", got, more, want, tt.hasMore)
			}
		})
	}
}

func testInvalidLimit(t *testing.T, s store.Store) {
	mustAppend(t, s, msg("r", "u", "x"))
	if _, _, err := s.Latest(context.Background(), "r", 0); !errors.Is(err, store.ErrInvalidLimit) {
		t.Errorf("Latest limit 0: err %v, want ErrInvalidLimit", err)
	}
	if _, _, err := s.After(context.Background(), "r", 0, -1); !errors.Is(err, store.ErrInvalidLimit) {
		t.Errorf("After limit -1: err %v, want ErrInvalidLimit", err)
	}
}

func testReadMarkers(t *testing.T, s store.Store) {
	ctx := context.Background()
	check := func(user, room, wantID string, wantSeq int64) {
		t.Helper()
		id, seq, err := s.ReadMarker(ctx, user, room)
		if err != nil || id != wantID || seq != wantSeq {
			t.Fatalf("ReadMarker(%s, %s) = %q, %d, %v; want %q, %d", user, room, id, seq, err, wantID, wantSeq)
		}
	}
	mark := func(user, room, id string, seq int64, want bool) {
		t.Helper()
		advanced, err := s.MarkRead(ctx, user, room, id, seq)
		if err != nil || advanced != want {
			t.Fatalf("MarkRead(%s, %s, %s, %d) = %v, %v; want %v", user, room, id, seq, advanced, err, want)
		}
	}
	check("alice", "r", "", 0)
	mark("alice", "r", "m5", 5, true)
	check("alice", "r", "m5", 5)
	mark("alice", "r", "m3", 3, false) // never moves back
	mark("alice", "r", "m5", 5, false) // same point is no advance
	check("alice", "r", "m5", 5)
	mark("alice", "r", "m7", 7, true)
	check("alice", "r", "m7", 7)
	mark("alice", "r", "m0", 0, false) // nothing before the first message
	mark("bob", "r", "m0", 0, false)
	check("bob", "r", "", 0)
	mark("bob", "r", "m2", 2, true)    // per user
	mark("alice", "r2", "x1", 1, true) // per room
	check("alice", "r", "m7", 7)
	check("bob", "r", "m2", 2)
	check("alice", "r2", "x1", 1)
}

func testCancelledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Append(ctx, msg("r", "u", "x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with cancelled ctx: err %v, want context.Canceled", err)
	}
	if _, err := s.MarkRead(ctx, "u", "r", "id", 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("MarkRead with cancelled ctx: err %v, want context.Canceled", err)
	}
	msgs, _, err := s.Latest(context.Background(), "r", 10)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("after cancelled Append: %d messages stored (err %v), want none", len(msgs), err)
	}
	if _, seq, _ := s.ReadMarker(context.Background(), "u", "r"); seq != 0 {
		t.Fatalf("after cancelled MarkRead: marker at %d, want none", seq)
	}
}

func testClosed(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := mustAppend(t, s, msg("r", "u", "x"))
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping before Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := map[string]func() error{
		"Append":     func() error { _, _, err := s.Append(ctx, msg("r", "u", "y")); return err },
		"Get":        func() error { _, err := s.Get(ctx, "r", m.ID); return err },
		"After":      func() error { _, _, err := s.After(ctx, "r", 0, 5); return err },
		"Latest":     func() error { _, _, err := s.Latest(ctx, "r", 5); return err },
		"MarkRead":   func() error { _, err := s.MarkRead(ctx, "u", "r", m.ID, 1); return err },
		"ReadMarker": func() error { _, _, err := s.ReadMarker(ctx, "u", "r"); return err },
		"Ping":       func() error { return s.Ping(ctx) },
		"Close":      s.Close,
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: err %v, want ErrClosed", name, err)
		}
	}
}
