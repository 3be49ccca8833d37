package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatd/chatd/internal/store"
)

// defaultTestPostgres is the database the PostgreSQL tests use unless
// CHATD_TEST_POSTGRES names another one (or is "skip").
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testPostgresDSN returns the server the tests run against. It skips the test only
// when CHATD_TEST_POSTGRES is "skip"; an unreachable server fails it, so that CI
// cannot pass without running these tests.
func testPostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("CHATD_TEST_POSTGRES")
	switch dsn {
	case "skip":
		t.Skip("CHATD_TEST_POSTGRES=skip")
	case "":
		dsn = defaultTestPostgres
	}
	return dsn
}

// redact hides the password of a DSN in test output.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparsable DSN)"
}

// freshSchema creates an empty schema that is dropped when the test ends, and returns
// a DSN whose connections use it, so that tests running at once never share tables.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := testPostgresDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test postgres %s (set CHATD_TEST_POSTGRES to another DSN, or to skip): %v", redact(base), err)
	}
	defer conn.Close(ctx)
	var random [6]byte
	_, _ = rand.Read(random[:])
	schema := "test_" + hex.EncodeToString(random[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse CHATD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "4") // several stores per test share max_connections
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), freshSchema(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// openPostgresDirect opens a store without writers: every write is a transaction of
// its own, run in its caller's goroutine.
func openPostgresDirect(t *testing.T) store.Store {
	t.Helper()
	s, err := store.OpenPostgresWriters(context.Background(), freshSchema(t), 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestPostgres(t *testing.T)       { testStore(t, openPostgres) }
func TestPostgresDirect(t *testing.T) { testStore(t, openPostgresDirect) }

// openNodes opens n stores on the same schema, as n chatd processes would.
func openNodes(t *testing.T, dsn string, n int) []store.Store {
	t.Helper()
	nodes := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n { // at once: their migrations race
		wg.Go(func() { nodes[i], errs[i] = store.Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open node %d: %v", i, err)
		}
		t.Cleanup(func() { _ = nodes[i].Close() })
	}
	return nodes
}

// TestPostgresMultiNode appends to one room from three stores with pools of their
// own: the seqs must be 1..N exactly once, and every store must read the same order.
func TestPostgresMultiNode(t *testing.T) {
	const perNode, senders = 150, 10
	nodes := openNodes(t, freshSchema(t), 3)
	var (
		mu   sync.Mutex
		seqs []int64
		wg   sync.WaitGroup
	)
	for n, s := range nodes {
		for g := range senders {
			wg.Go(func() {
				for i := range perNode / senders {
					m, dup, err := s.Append(context.Background(), store.Message{
						Room: "hot", Sender: fmt.Sprint("u", n, g), Content: fmt.Sprint(i),
						ClientMessageID: fmt.Sprint(n, "-", g, "-", i),
					})
					if err != nil || dup {
						t.Errorf("node %d Append: dup %v err %v", n, dup, err)
						return
					}
					mu.Lock()
					seqs = append(seqs, m.Seq)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	total := perNode * len(nodes)
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("seqs are not 1..%d: position %d has %d", total, i, seq)
		}
	}
	if len(seqs) != total {
		t.Fatalf("%d appends succeeded, want %d", len(seqs), total)
	}
	var first []string
	for n, s := range nodes {
		ids := readIDs(t, s, "hot")
		if len(ids) != total {
			t.Fatalf("node %d reads %d messages, want %d", n, len(ids), total)
		}
		if !slices.IsSorted(ids) {
			t.Fatalf("node %d: ids do not sort like seq", n)
		}
		if first == nil {
			first = ids
		} else if !slices.Equal(ids, first) {
			t.Fatalf("node %d reads another order than node 0", n)
		}
	}
}

// readIDs returns the ids of all messages of room in seq order, read page by page.
func readIDs(t *testing.T, s store.Store, room string) []string {
	t.Helper()
	var ids []string
	var after int64
	for {
		page, more, err := s.After(context.Background(), room, after, 100)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		for _, m := range page {
			if m.Seq != after+1 {
				t.Fatalf("After(%d) returned seq %d next", after, m.Seq)
			}
			ids = append(ids, m.ID)
			after = m.Seq
		}
		if !more {
			return ids
		}
	}
}

// TestPostgresMultiNodeDuplicates resends client message ids from three nodes at
// once: each is stored once, every resend gets it back, and no seq is lost.
func TestPostgresMultiNodeDuplicates(t *testing.T) {
	nodes := openNodes(t, freshSchema(t), 3)
	const rounds, perNode = 20, 5
	for round := range rounds {
		in := store.Message{Room: "r", Sender: "alice", Content: "once", ClientMessageID: fmt.Sprint("k", round)}
		var (
			mu    sync.Mutex
			ids   = map[string]int64{}
			fresh int
			wg    sync.WaitGroup
		)
		start := make(chan struct{})
		for _, s := range nodes {
			for range perNode {
				wg.Go(func() {
					<-start
					m, dup, err := s.Append(context.Background(), in)
					if err != nil {
						t.Errorf("Append: %v", err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					ids[m.ID] = m.Seq
					if !dup {
						fresh++
					}
				})
			}
		}
		close(start)
		wg.Wait()
		if len(ids) != 1 || fresh != 1 {
			t.Fatalf("round %d: %d distinct ids, %d fresh appends; want 1 and 1", round, len(ids), fresh)
		}
		for _, seq := range ids {
			if seq != int64(round+1) {
				t.Fatalf("round %d: message has seq %d, want %d: a duplicate consumed a seq", round, seq, round+1)
			}
		}
	}
}

// TestPostgresBadMessageFailsAlone appends messages at once, one of which PostgreSQL
// refuses (text cannot hold NUL): only that one fails, whatever batch it shared, and
// the others keep gap-free seqs.
func TestPostgresBadMessageFailsAlone(t *testing.T) {
	s := openPostgres(t)
	defer s.Close()
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			content := fmt.Sprint("ok ", i)
			if i == n/2 {
				content = "bad \x00"
			}
			_, _, errs[i] = s.Append(context.Background(), msg("r", fmt.Sprint("u", i), content))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == n/2) {
			t.Errorf("Append %d: err %v", i, err)
		}
	}
	ids := readIDs(t, s, "r") // checks seqs 1, 2, 3…
	if len(ids) != n-1 {
		t.Fatalf("%d messages stored, want %d", len(ids), n-1)
	}
}

// TestPostgresCloseFlushes closes the store while appends are in flight: each one
// either fails with ErrClosed or is stored.
func TestPostgresCloseFlushes(t *testing.T) {
	dsn := freshSchema(t)
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	const n = 200
	var (
		mu     sync.Mutex
		stored []string
		wg     sync.WaitGroup
	)
	started := make(chan struct{}, n)
	for i := range n {
		wg.Go(func() {
			started <- struct{}{}
			m, _, err := s.Append(context.Background(), msg("r", "u", fmt.Sprint(i)))
			switch {
			case err == nil:
				mu.Lock()
				stored = append(stored, m.ID)
				mu.Unlock()
			case !errors.Is(err, store.ErrClosed):
				t.Errorf("Append: %v", err)
			}
		})
	}
	for range n / 2 {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	reopened, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer reopened.Close()
	ids := readIDs(t, reopened, "r")
	slices.Sort(stored)
	if !slices.Equal(ids, stored) {
		t.Fatalf("%d messages in the database, %d acknowledged", len(ids), len(stored))
	}
}

// TestPostgresMigrations checks the recorded schema version and that a database
// migrated by a newer chatd is refused.
func TestPostgresMigrations(t *testing.T) {
	dsn := freshSchema(t)
	openNodes(t, dsn, 4) // racing migrations must all succeed
	ctx := context.Background()
	conn := connect(t, dsn)
	rows, _ := conn.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || !slices.Equal(versions, []int{1}) {
		t.Fatalf("schema_migrations holds %v (err %v), want [1]", versions, err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES (99)"); err != nil {
		t.Fatalf("insert version: %v", err)
	}
	s, err := store.Open(ctx, dsn)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a schema of version 99")
	}
	if !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("Open: err %v, want one naming version 99", err)
	}
}

// TestPostgresMessageIDs checks that the database builds ids exactly as the Go code
// does, across digit boundaries up to the largest seq.
func TestPostgresMessageIDs(t *testing.T) {
	dsn := freshSchema(t)
	s, err := store.Open(context.Background(), dsn) // migrates: creates chatd_message_id
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	conn := connect(t, dsn)
	for _, seq := range []int64{1, 9, 10, 35, 36, 1295, 1296, 1<<31 - 1, 1 << 31, 1<<53 + 1, 1<<63 - 1} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT chatd_message_id($1, 'x')", seq).Scan(&got); err != nil {
			t.Fatalf("chatd_message_id(%d): %v", seq, err)
		}
		if want := store.MessageIDPrefix(seq) + "x"; got != want {
			t.Errorf("chatd_message_id(%d) = %q, want %q", seq, got, want)
		}
	}
}

// connect opens a plain connection to the store's database, closed when the test ends.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	delete(cfg.RuntimeParams, "pool_max_conns") // a pool setting, not a server one
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// TestPostgresSurvivesKilledConnections terminates the store's server connections
// while appends run: appends may fail meanwhile, but every acknowledged one is stored,
// seqs stay gap-free, and the store works again afterwards.
func TestPostgresSurvivesKilledConnections(t *testing.T) {
	dsn := freshSchema(t)
	u, _ := url.Parse(dsn)
	app := "chatd_victim_" + u.Query().Get("search_path")
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	s, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	killer := connect(t, dsn)

	var (
		mu     sync.Mutex
		acked  = map[string]bool{}
		failed int
		wg     sync.WaitGroup
	)
	stop := make(chan struct{})
	for g := range 10 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m, _, err := s.Append(context.Background(), msg(fmt.Sprint("r", g%3), "u", fmt.Sprint(i)))
				mu.Lock()
				if err == nil {
					acked[m.ID] = true
				} else {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	for range 5 {
		time.Sleep(30 * time.Millisecond)
		if _, err := killer.Exec(context.Background(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app); err != nil {
			t.Fatalf("terminate backends: %v", err)
		}
	}
	close(stop)
	wg.Wait()

	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping after the kills: %v", err)
	}
	mustAppend(t, s, msg("r0", "u", "after"))
	stored := map[string]bool{}
	for _, room := range []string{"r0", "r1", "r2"} {
		for _, id := range readIDs(t, s, room) { // checks seqs 1, 2, 3…
			stored[id] = true
		}
	}
	for id := range acked {
		if !stored[id] {
			t.Fatalf("acknowledged message %s is not stored", id)
		}
	}
	t.Logf("%d appends acknowledged, %d failed, %d stored", len(acked), failed, len(stored))
}

func ExampleOpen_postgres() {
	// Nodes sharing one database; search_path selects the schema chatd migrates and
	// uses, pool_max_conns bounds each node's connections.
	s, err := store.Open(context.Background(),
		"postgres://chatd@db.internal:5432/chat?sslmode=verify-full&search_path=chatd&pool_max_conns=16")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
}
