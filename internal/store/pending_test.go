package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// A pipelined append is ready once its commit is durable, and appends are answered in
// the order they were started: when one is ready, so is every earlier one.
func TestPendingAppendsAreReadyInOrder(t *testing.T) {
	st := openSQLite(t)
	defer st.Close()
	pl, ok := st.(store.Pipeliner)
	if !ok {
		t.Fatal("the SQLite store must be a Pipeliner")
	}
	ctx := context.Background()
	const n = 50
	pending := make([]store.PendingAppend, n)
	for i := range pending {
		pending[i] = pl.StartAppend(ctx, store.Message{
			Room: "r", Sender: "u", Content: "x", ClientMessageID: fmt.Sprintf("c%02d", i),
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
		if err != nil || dup || m.Seq <= last {
			t.Fatalf("append %d: seq %d after %d, duplicate %v, %v", i, m.Seq, last, dup, err)
		}
		last = m.Seq
	}
}
