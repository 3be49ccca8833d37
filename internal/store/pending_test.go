package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// Pipelined appends to one room are stored in the order they were started, and are
// answered in that order: when one is ready, so is every earlier one. Both durable
// stores pipeline.
func TestPendingAppendsAreReadyInOrder(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPendingAppends(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { testPendingAppends(t, openPostgres(t)) })
	t.Run("postgres without writers", func(t *testing.T) { testPendingAppends(t, openPostgresDirect(t)) })
}

func testPendingAppends(t *testing.T, st store.Store) {
	defer st.Close()
	pl, ok := st.(store.Pipeliner)
	if !ok {
		t.Fatal("a durable store must be a Pipeliner")
	}
	ctx := context.Background()
	room := fmt.Sprintf("pending-%d", time.Now().UnixNano())
	const n = 50
	pending := make([]store.PendingAppend, n)
	for i := range pending {
		pending[i] = pl.StartAppend(ctx, store.Message{
			Room: room, Sender: "u", Content: fmt.Sprint(i), ClientMessageID: fmt.Sprintf("c%02d", i),
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for !pending[n-1].Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the last append never became ready")
		}
		time.Sleep(time.Millisecond)
	}
	for i, p := range pending {
		if !p.Ready() {
			t.Fatalf("append %d is not ready although append %d is", i, n-1)
		}
	}
	var last int64
	for i, p := range pending {
		m, dup, err := p.Wait()
		if err != nil || dup || m.Seq <= last || m.Content != fmt.Sprint(i) {
			t.Fatalf("append %d: %q seq %d after %d, duplicate %v, %v", i, m.Content, m.Seq, last, dup, err)
		}
		last = m.Seq
	}
}
