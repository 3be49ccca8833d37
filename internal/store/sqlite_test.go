package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

func openAt(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func TestSQLiteRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openAt(t, path)
	var before []store.Message
	for i := range 5 {
		in := msg("r", "alice", fmt.Sprint(i))
		in.ClientMessageID = fmt.Sprint("k", i)
		before = append(before, mustAppend(t, s, in))
	}
	if _, err := s.MarkRead(ctx, "bob", "r", before[3].ID, before[3].Seq); err != nil {
		t.Fatalf("MarkRead: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openAt(t, path)
	defer s.Close()
	after, more, err := s.Latest(ctx, "r", 10)
	if err != nil || more || !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart: %+v (more %v, err %v), want %+v", after, more, err, before)
	}
	if next := mustAppend(t, s, msg("r", "alice", "next")); next.Seq != 6 {
		t.Fatalf("seq after restart = %d, want 6", next.Seq)
	}
	resend := msg("r", "alice", "again")
	resend.ClientMessageID = "k2"
	if got, dup, err := s.Append(ctx, resend); err != nil || !dup || got.ID != before[2].ID {
		t.Fatalf("resend after restart: %+v dup %v err %v; want duplicate of %s", got, dup, err, before[2].ID)
	}
	if id, seq, err := s.ReadMarker(ctx, "bob", "r"); err != nil || id != before[3].ID || seq != 4 {
		t.Fatalf("marker after restart: %q %d %v", id, seq, err)
	}
}

// TestSQLiteCloseFlushes closes the store while appends are in flight: every append
// either fails with ErrClosed or is acknowledged, and every acknowledged one is there
// after reopening, with seqs still gap-free.
func TestSQLiteCloseFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openAt(t, path)
	var (
		mu    sync.Mutex
		acked []store.Message
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for g := range 20 {
		wg.Go(func() {
			<-start
			for i := 0; ; i++ {
				m, _, err := s.Append(context.Background(), msg("r", fmt.Sprint("u", g), fmt.Sprint(i)))
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, m)
				mu.Unlock()
			}
		})
	}
	close(start)
	for { // close only once appends are flowing
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		runtime.Gosched()
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()

	s = openAt(t, path)
	defer s.Close()
	stored := allMessages(t, s, "r")
	if len(stored) < len(acked) {
		t.Fatalf("%d messages stored, %d acknowledged", len(stored), len(acked))
	}
	for _, m := range acked {
		if got, err := s.Get(context.Background(), "r", m.ID); err != nil || got.Seq != m.Seq {
			t.Fatalf("acknowledged %s (seq %d) after reopen: %+v, %v", m.ID, m.Seq, got, err)
		}
	}
}

// allMessages pages through a whole room and checks its seqs are exactly 1..n.
func allMessages(t *testing.T, s store.Store, room string) []store.Message {
	t.Helper()
	var all []store.Message
	for {
		page, more, err := s.After(context.Background(), room, int64(len(all)), store.MaxPageSize)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		for _, m := range page {
			if m.Seq != int64(len(all)+1) {
				t.Fatalf("seq %d at position %d: gap or disorder", m.Seq, len(all))
			}
			all = append(all, m)
		}
		if !more {
			return all
		}
	}
}

const killChildEnv = "CHATD_STORE_KILL_CHILD_DB"

// TestSQLiteSurvivesKill runs appends in a child process, kills it with SIGKILL, and
// checks that every append the child saw acknowledged is stored, gap-free.
func TestSQLiteSurvivesKill(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		appendForever(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "chat.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteSurvivesKill$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for len(acked) < 2000 && lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 2000 {
		t.Fatalf("child acknowledged only %d appends before its output ended", len(acked))
	}

	s := openAt(t, path)
	defer s.Close()
	stored := allMessages(t, s, "r")
	for _, id := range acked {
		if _, err := s.Get(context.Background(), "r", id); err != nil {
			t.Fatalf("acknowledged %s lost after kill -9: %v (%d stored)", id, err, len(stored))
		}
	}
}

// appendForever is the child of TestSQLiteSurvivesKill: it appends from several
// goroutines and prints each acknowledged id until it is killed.
func appendForever(path string) {
	s, err := store.Open(context.Background(), path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex // keeps output lines whole
	for g := range 10 {
		go func() {
			for {
				m, _, err := s.Append(context.Background(), msg("r", fmt.Sprint("u", g), "x"))
				if err != nil {
					fmt.Println("append:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Printf("acked %s\n", m.ID)
				mu.Unlock()
			}
		}()
	}
	select {} // until the parent kills us
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openAt(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := store.Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a newer schema version")
	}
}

func TestOpenDSN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "chat.db")
	s, err := store.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatalf("Open sqlite://: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("database directory not created: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("database directory mode %o, want 700", perm)
	}
	for _, name := range []string{path, path + "-wal"} {
		s = openAt(t, path)
		info, err := os.Stat(name)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode %o, want 600", filepath.Base(name), perm)
		}
	}
	for _, dsn := range []string{"mysql://localhost/chat", "", "sqlite:", "data/chat.db?mode=ro"} {
		if s, err := store.Open(context.Background(), dsn); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

// TestSQLiteSyncFailureIsSticky checks that after a failed fsync no write is
// acknowledged any more, since nothing is known to be durable after it.
func TestSQLiteSyncFailureIsSticky(t *testing.T) {
	s := openSQLite(t)
	defer s.Close()
	mustAppend(t, s, msg("r", "u", "before"))
	store.BreakWALSync(s)
	for i := range 3 {
		if _, _, err := s.Append(context.Background(), msg("r", "u", fmt.Sprint(i))); err == nil {
			t.Fatalf("append %d after a failed fsync was acknowledged", i)
		}
	}
	if _, err := s.MarkRead(context.Background(), "u", "r", "x", 1); err == nil {
		t.Fatal("MarkRead after a failed fsync was acknowledged")
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Fatal("Ping reports a store that can no longer write as ready")
	}
}

// TestSQLiteCheckpoints checks that committed pages reach the database file while the
// store is open, so the WAL does not grow without bound.
func TestSQLiteCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openAt(t, path)
	defer s.Close()
	size := func() int64 {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	initial := size()
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := range 100 {
				if _, _, err := s.Append(context.Background(), msg("r", fmt.Sprint("u", g), fmt.Sprint(i, benchContent))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for size() <= initial {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes after 1000 appends: no checkpoint ran", initial)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSQLiteOneProcessPerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openAt(t, path)
	if other, err := store.Open(context.Background(), path); err == nil {
		other.Close()
		t.Fatal("second Open of the same database succeeded while the first is open")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path) // the lock is released on Close
	s.Close()
}

// TestSQLiteOneBatch commits appends in a single transaction, duplicates included: the
// second use of a client message id in the same batch must see the first.
func TestSQLiteOneBatch(t *testing.T) {
	s := openSQLite(t)
	defer s.Close()
	const n = 40 // 4 (room, key) pairs × 10 copies
	type result struct {
		m   store.Message
		dup bool
		err error
	}
	results := make([]result, n)
	paused := store.PauseWriter(s)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			in := msg(fmt.Sprint("room", i%2), "alice", fmt.Sprint(i))
			in.ClientMessageID = fmt.Sprint("key", i%4)
			r := &results[i]
			r.m, r.dup, r.err = s.Append(context.Background(), in)
		})
	}
	paused.WaitQueued(n)
	paused.Release()
	wg.Wait()
	byKey := map[string]store.Message{}
	fresh := 0
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("Append: %v", r.err)
		}
		key := r.m.Room + "/" + r.m.ClientMessageID
		if first, ok := byKey[key]; ok && first.ID != r.m.ID {
			t.Fatalf("key %s answered with two messages: %s and %s", key, first.ID, r.m.ID)
		}
		byKey[key] = r.m
		if !r.dup {
			fresh++
		}
	}
	if fresh != 4 || len(byKey) != 4 {
		t.Fatalf("%d fresh messages under %d keys, want 4 and 4", fresh, len(byKey))
	}
	for _, room := range []string{"room0", "room1"} {
		if all := allMessages(t, s, room); len(all) != 2 {
			t.Fatalf("%s has %d messages, want 2", room, len(all))
		}
	}
}

// TestSQLiteFailedBatchRecovers makes a batch fail on one append (its seq was taken
// behind the writer's back, so the cached seq is stale) and checks that every append
// of the batch is retried and commits, the stale one with a fresh seq.
func TestSQLiteFailedBatchRecovers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := openAt(t, path)
	defer s.Close()
	mustAppend(t, s, msg("r", "u", "first")) // the writer now caches r at seq 1

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`INSERT INTO messages (room, seq, id, sender, content, created_at)
		VALUES ('r', 2, 'intruder', 'x', 'x', 0)`)
	if err != nil {
		t.Fatal(err)
	}

	paused := store.PauseWriter(s)
	seqs := make(map[string]int64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, room := range []string{"r", "q1", "q2"} {
		wg.Go(func() {
			m, _, err := s.Append(context.Background(), msg(room, "u", "batched"))
			if err != nil {
				t.Errorf("Append to %s: %v", room, err)
			}
			mu.Lock()
			seqs[room] = m.Seq
			mu.Unlock()
		})
	}
	paused.WaitQueued(3)
	paused.Release()
	wg.Wait()
	if seqs["r"] != 3 || seqs["q1"] != 1 || seqs["q2"] != 1 {
		t.Fatalf("seqs %v, want r:3 q1:1 q2:1", seqs)
	}
	if m := mustAppend(t, s, msg("r", "u", "after")); m.Seq != 4 {
		t.Fatalf("next append in r got seq %d, want 4", m.Seq)
	}
}

// TestSQLiteCancelWhileQueued cancels an append that waits in the queue: it returns
// the context's error at once and, since its batch had not started, stores nothing.
func TestSQLiteCancelWhileQueued(t *testing.T) {
	s := openSQLite(t)
	defer s.Close()
	paused := store.PauseWriter(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, _, err := s.Append(ctx, msg("r", "u", "cancelled"))
		done <- err
	}()
	paused.WaitQueued(1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Append returned %v, want context.Canceled", err)
	}
	paused.Release()
	if m := mustAppend(t, s, msg("r", "u", "next")); m.Seq != 1 {
		t.Fatalf("next append got seq %d: the cancelled one was stored", m.Seq)
	}
}
