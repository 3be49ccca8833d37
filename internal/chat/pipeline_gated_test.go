package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
)

// gatedStore is a real SQLite store whose pipelined appends are queued (and commit) at
// once, but whose outcomes the chat layer only learns once the gate opens: a slow
// commit, such as a long fsync, made deterministic.
type gatedStore struct {
	store.Store
	pl      store.Pipeliner
	gate    chan struct{}
	once    sync.Once
	started atomic.Int32
}

func newGatedStore(t *testing.T) *gatedStore {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	pl, ok := st.(store.Pipeliner)
	if !ok {
		t.Fatal("the SQLite store must be a Pipeliner")
	}
	return &gatedStore{Store: st, pl: pl, gate: make(chan struct{})}
}

func (g *gatedStore) open() { g.once.Do(func() { close(g.gate) }) }

func (g *gatedStore) StartAppend(ctx context.Context, m store.Message) store.PendingAppend {
	p := g.pl.StartAppend(ctx, m)
	g.started.Add(1)
	return gatedPending{PendingAppend: p, gate: g.gate}
}

type gatedPending struct {
	store.PendingAppend
	gate <-chan struct{}
}

func (p gatedPending) Ready() bool {
	select {
	case <-p.gate:
		return p.PendingAppend.Ready()
	default:
		return false
	}
}

func (p gatedPending) Wait() (store.Message, bool, error) {
	<-p.gate
	return p.PendingAppend.Wait()
}

// newGatedHarness is newHarnessWith on a gatedStore.
func newGatedHarness(t *testing.T, cfg Config) (*harness, *gatedStore) {
	t.Helper()
	g := newGatedStore(t)
	v, err := auth.NewVerifier(auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	clk.now = time.Now()
	svc, err := newService(cfg, Deps{Store: g, Verifier: v, Logger: discardLogger()}, clk)
	if err != nil {
		t.Fatal(err)
	}
	if svc.pipeline == nil {
		t.Fatal("the gated store must be pipelined")
	}
	srv := socketio.NewServer(socketio.Config{
		Engine: engineio.Config{Logger: discardLogger()}, Logger: discardLogger(),
	})
	svc.Register(srv.Of("/chat"))
	h := &harness{t: t, svc: svc, clock: clk, store: g, http: httptest.NewServer(srv)}
	t.Cleanup(func() {
		g.open() // no pipe stays blocked past the test
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		h.http.Close()
		svc.Close()
		_ = g.Store.Close()
	})
	return h, g
}

// sendWithAck sends sendMessage with ack id and a clientMessageId.
func sendWithAck(c *wsClient, id int, room, content, cmid string) {
	c.send(fmt.Sprintf(`42/chat,%d["sendMessage",{"roomId":%q,"content":%q,"clientMessageId":%q}]`,
		id, room, content, cmid))
}

// ackOf waits for the ack of id and returns its first argument.
func ackOf(t *testing.T, c *wsClient, id int) map[string]any {
	t.Helper()
	prefix := "43/chat," + strconv.Itoa(id) + "["
	f := c.waitRaw(func(f string) bool { return strings.HasPrefix(f, prefix) })
	var args []json.RawMessage
	if err := json.Unmarshal([]byte(f[len(prefix)-1:]), &args); err != nil || len(args) == 0 {
		t.Fatalf("bad ack %q: %v", f, err)
	}
	return decode(t, args[0])
}

// waitStarted waits until n appends were handed to the store.
func waitStarted(t *testing.T, g *gatedStore, n int32) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for g.started.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d appends started, want %d", g.started.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// readerSettle gives the socket's reader time to handle the frames already sent; the
// assertions hold whatever it does meanwhile, only the unfixed code fails them.
const readerSettle = 100 * time.Millisecond

// TestPipelinedResendOfInFlightMessageThroughEmptyBucket: a re-send of the user's last
// message while the bucket is empty gets the original receipt (doc.go: recentSends),
// also when the original's commit is still in flight in the send pipe. Before the fix
// the re-send was refused for rate: the original was not remembered yet.
func TestPipelinedResendOfInFlightMessageThroughEmptyBucket(t *testing.T) {
	h, g := newGatedHarness(t, Config{RateMessages: 1, RateBurst: 1}) // the fake clock never refills
	alice := h.connect("alice")
	alice.call("joinRoom", `"r"`)

	sendWithAck(alice, 1001, "r", "hello", "c1") // takes the only token; its commit is held
	sendWithAck(alice, 1002, "r", "hello", "c1") // the client's retry of it
	waitStarted(t, g, 1)
	time.Sleep(readerSettle)
	g.open()

	first, second := ackOf(t, alice, 1001), ackOf(t, alice, 1002)
	if first["id"] == nil || first["status"] != "sent" {
		t.Fatalf("first receipt: %v", first)
	}
	if second["id"] != first["id"] || second["status"] != "sent" {
		t.Fatalf("re-send of an in-flight message through an empty bucket:\n got %v\nwant the receipt %v", second, first)
	}
}

// TestPipelinedDuplicatesCostNoBudget: idempotent re-sends never consume the
// user's message budget (doc.go), so a client resending more unacknowledged messages
// than its burst (after a reconnect to a node that has no memory of them) gets every
// original receipt. Before the fix the re-sends beyond the burst were refused for rate:
// the tokens of the duplicates in flight were handed back only once they were answered.
func TestPipelinedDuplicatesCostNoBudget(t *testing.T) {
	const burst, resends = 2, 5
	h, g := newGatedHarness(t, Config{RateMessages: 1, RateBurst: burst})
	// Stored before, e.g. through the node alice was connected to until it failed.
	ids := make([]string, resends)
	for i := range resends {
		m, _, err := g.Store.Append(context.Background(), store.Message{
			Room: "r", Sender: "alice", Content: fmt.Sprintf("m%d", i), ClientMessageID: fmt.Sprintf("c%d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`)

	for i := range resends {
		sendWithAck(alice, 2000+i, "r", fmt.Sprintf("m%d", i), fmt.Sprintf("c%d", i))
	}
	waitStarted(t, g, 1)
	time.Sleep(readerSettle)
	g.open()

	for i := range resends {
		if got := ackOf(t, alice, 2000+i); got["id"] != ids[i] || got["status"] != "sent" {
			t.Fatalf("re-send %d of %d (burst %d): got %v, want the receipt of %s", i+1, resends, burst, got, ids[i])
		}
	}
	bob.sync()
	bob.noEvent("newMessage") // duplicates broadcast nothing
	// And the budget is whole again: a new message goes through.
	if got := decode(t, alice.call("sendMessage", `{"roomId":"r","content":"new","clientMessageId":"n"}`)); got["status"] != "sent" {
		t.Fatalf("new message after the re-sends: %v", got)
	}
}

// TestDrainWaitsForSendsInFlight: a socket that leaves with sends in its pipe keeps
// them, and its leave, until they are answered; Drain (a graceful shutdown's step
// before Close cancels the store calls) returns only once all of that is done.
func TestDrainWaitsForSendsInFlight(t *testing.T) {
	const sends = 5
	h, g := newGatedHarness(t, Config{})
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`)
	for i := range sends {
		sendWithAck(alice, 3000+i, "r", fmt.Sprintf("m%d", i), fmt.Sprintf("c%d", i))
	}
	waitStarted(t, g, sends)
	_ = alice.conn.NetConn().Close()
	ns := h.svc.ns.Load()
	for deadline := time.Now().Add(waitTimeout); ns.SocketCount() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server did not see alice leave")
		}
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.svc.Drain(short); err == nil {
		t.Fatal("Drain returned while sends were held in flight")
	}
	if n := h.svc.users.sockets("alice"); n != 1 {
		t.Fatalf("alice has %d sockets while her leave waits behind her sends, want 1", n)
	}
	time.AfterFunc(20*time.Millisecond, g.open)
	if err := h.svc.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := h.svc.users.sockets("alice"); n != 0 {
		t.Fatalf("after Drain alice has %d sockets: her leave did not run", n)
	}
	for range sends {
		bob.waitEvent("newMessage")
	}
	if ev := decode(t, bob.waitEvent("userLeftRoom")); ev["userId"] != "alice" {
		t.Fatalf("userLeftRoom %v", ev)
	}
}
