package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestPGRolledBack(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"ServerError", fmt.Errorf("append message: %w", &pgconn.PgError{Code: "22021"}), true},
		{"ServerFatal", fmt.Errorf("append message: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}), true},
		{"CommitError", &pgCommitError{err: &pgconn.PgError{Severity: "ERROR", Code: "40001"}}, true},
		{"CommitFatal", &pgCommitError{err: &pgconn.PgError{Severity: "FATAL", Code: "57P01"}}, false},
		{"BrokenConnection", fmt.Errorf("append message: %w", io.ErrUnexpectedEOF), false},
		{"BrokenCommit", &pgCommitError{err: io.ErrUnexpectedEOF}, false},
		{"Timeout", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := rolledBack(tt.err); got != tt.want {
			t.Errorf("%s: rolledBack(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestPGRetryable(t *testing.T) {
	for code, want := range map[string]bool{"23505": true, "40P01": true, "40001": true, "22021": false, "23503": false} {
		if got := retryable(&pgconn.PgError{Code: code}); got != want {
			t.Errorf("retryable(%s) = %v, want %v", code, got, want)
		}
	}
	if retryable(errors.New("connection reset")) {
		t.Error("retryable(network error) = true")
	}
}

// TestSortPGOps checks the lock order of a batch: counter rows by room, then
// markers, and the queue order kept within a room.
func TestSortPGOps(t *testing.T) {
	ctx := context.Background()
	a1 := newPGAppendOp(ctx, Message{Room: "b", Content: "1"})
	a2 := newPGAppendOp(ctx, Message{Room: "a", Content: "2"})
	a3 := newPGAppendOp(ctx, Message{Room: "b", Content: "3"})
	m1 := &pgMarkOp{user: "u", room: "a"}
	a4 := newPGAppendOp(ctx, Message{Room: "a", Content: "4"})
	ops := []pgOp{m1, a1, a2, a3, a4}
	sortPGOps(ops)
	want := []pgOp{a2, a4, a1, a3, m1}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("position %d holds %+v, want %+v", i, ops[i], want[i])
		}
	}
}

func TestSizePGPool(t *testing.T) {
	tests := []struct {
		name        string
		maxConns    int32
		writers     int
		given       bool
		wantConns   int32
		wantWriters int
	}{
		{"Default", 4, 2, false, 6, 2},
		{"GivenLarge", 40, 8, true, 40, 8},
		{"GivenSmall", 6, 8, true, 6, 3},
		{"GivenTiny", 1, 8, true, 1, 1},
		{"Direct", 4, 0, true, 4, 0},
	}
	for _, tt := range tests {
		cfg := &pgxpool.Config{MaxConns: tt.maxConns}
		got := sizePGPool(cfg, tt.writers, tt.given)
		if got != tt.wantWriters || cfg.MaxConns != tt.wantConns {
			t.Errorf("%s: %d writers, pool %d; want %d, %d", tt.name, got, cfg.MaxConns, tt.wantWriters, tt.wantConns)
		}
	}
}
