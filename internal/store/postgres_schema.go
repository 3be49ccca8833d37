package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgMigrations are the schema versions in order: pgMigrations[i] moves a database
// from version i to i+1, as recorded in schema_migrations. Append new versions; never
// edit a released one. Tables are created in the first schema of the search_path.
var pgMigrations = []string{
	// 1: messages, room counters, read markers.
	//
	// messages is keyed by (room, seq), so a history page is one range scan of the
	// primary key. rooms holds each room's last seq: incrementing it in the append's
	// transaction hands out seqs gap-free and, through its row lock, in one order
	// across every node. Attachment and metadata are the client's JSON object text,
	// kept byte for byte (jsonb would reorder keys), NULL when absent.
	//
	// chatd_message_id builds ids as newMessageID does in Go (id.go): the seq as 13
	// zero-padded base-36 digits, a dash, and the random part Go supplies.
	`CREATE TABLE rooms (
		room     text   PRIMARY KEY,
		last_seq bigint NOT NULL
	);
	CREATE TABLE messages (
		room              text        NOT NULL,
		seq               bigint      NOT NULL,
		id                text        NOT NULL,
		sender            text        NOT NULL,
		content           text        NOT NULL,
		reply_to          text        NOT NULL DEFAULT '',
		attachment        text,
		metadata          text,
		client_message_id text        NOT NULL DEFAULT '',
		created_at        timestamptz NOT NULL,
		PRIMARY KEY (room, seq)
	);
	CREATE UNIQUE INDEX messages_id ON messages (id);
	CREATE UNIQUE INDEX messages_idempotency
		ON messages (sender, room, client_message_id) WHERE client_message_id <> '';
	CREATE TABLE read_markers (
		user_id    text   NOT NULL,
		room       text   NOT NULL,
		message_id text   NOT NULL,
		seq        bigint NOT NULL,
		PRIMARY KEY (user_id, room)
	);
	CREATE FUNCTION chatd_message_id(seq bigint, suffix text) RETURNS text
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
	DECLARE
		digits text := '';
		n      bigint := seq;
	BEGIN
		LOOP
			digits := substr('0123456789abcdefghijklmnopqrstuvwxyz', (n % 36)::int + 1, 1) || digits;
			n := n / 36;
			EXIT WHEN n = 0;
		END LOOP;
		RETURN lpad(digits, 13, '0') || '-' || suffix;
	END
	$$;`,
}

// pgMigrationLock is the first key of the advisory lock that serializes migrations;
// the second is the schema's name, so that schemas migrate independently.
const pgMigrationLock = 0x63686174 // "chat"

// migratePostgres brings the schema up to the newest version in one transaction, so a
// failure leaves the previous version intact. The transaction first takes an advisory
// lock, so nodes starting together migrate one after the other: the later ones find
// the work done. It refuses a database written by a newer chatd rather than guess at
// a schema it does not know.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, pgMigrationLock); err != nil {
			return fmt.Errorf("lock schema: %w", err)
		}
		version, err := pgSchemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if version > len(pgMigrations) {
			return fmt.Errorf("check schema version: database has version %d, this chatd knows up to %d", version, len(pgMigrations))
		}
		for v := version; v < len(pgMigrations); v++ {
			if _, err := tx.Exec(ctx, pgMigrations[v]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v+1); err != nil {
				return fmt.Errorf("record schema version %d: %w", v+1, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate postgres schema: %w", err)
	}
	return nil
}

// pgSchemaVersion returns the newest version recorded in schema_migrations, creating
// the table in a schema that has none. Only the current schema (the first of the
// search_path) counts, where the migrations create their tables. An existing table is
// only read, so a role without the right to create tables can run a migrated database.
func pgSchemaVersion(ctx context.Context, tx pgx.Tx) (int, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_tables
		WHERE schemaname = current_schema() AND tablename = 'schema_migrations')`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("find schema_migrations: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return 0, fmt.Errorf("create schema_migrations: %w", err)
		}
		return 0, nil
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, nil
}
