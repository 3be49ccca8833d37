package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema versions in order: migrations[i] moves a database from
// PRAGMA user_version i to i+1. Append new versions; never edit a released one.
var migrations = []string{
	// 1: messages and read markers.
	//
	// messages is keyed by (room, seq), so a history page is one range scan of the
	// primary key. Seq is assigned by the single writer from the room's current
	// max(seq) (cached), which the primary key makes an index lookup; no separate
	// counter table is needed and a crash can never leave a counter ahead of the data.
	// Attachment and metadata are JSON object text, NULL when absent; created_at is Unix
	// milliseconds, UTC.
	`CREATE TABLE messages (
		room              TEXT    NOT NULL,
		seq               INTEGER NOT NULL,
		id                TEXT    NOT NULL UNIQUE,
		sender            TEXT    NOT NULL,
		content           TEXT    NOT NULL,
		reply_to          TEXT    NOT NULL DEFAULT '',
		attachment        TEXT,
		metadata          TEXT,
		client_message_id TEXT    NOT NULL DEFAULT '',
		created_at        INTEGER NOT NULL,
		PRIMARY KEY (room, seq)
	) WITHOUT ROWID;
	CREATE UNIQUE INDEX messages_idempotency
		ON messages (sender, room, client_message_id) WHERE client_message_id <> '';
	CREATE TABLE read_markers (
		user_id    TEXT    NOT NULL,
		room       TEXT    NOT NULL,
		message_id TEXT    NOT NULL,
		seq        INTEGER NOT NULL,
		PRIMARY KEY (user_id, room)
	) WITHOUT ROWID;`,
}

// migrate brings the schema on conn up to the newest version in one transaction, so a
// crash mid-migration leaves the previous version intact. It refuses a database
// written by a newer chatd rather than guess at a schema it does not know.
func migrate(ctx context.Context, conn *sql.Conn) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("check schema version: database has version %d, this chatd knows up to %d", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is our own integer.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}
