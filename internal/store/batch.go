package store

// Shared by the writers of both durable stores: the SQLite writer and each
// PostgreSQL writer take their ops off a queue in batches, one transaction a batch.

// runBatches hands queued ops to commit in batches, each the first op waiting and
// whatever else is queued already, up to maxBatch, until queue is closed and drained.
// A batch's slice is reused for the next one: commit must not keep it.
func runBatches[T any](queue <-chan T, commit func(ops []T)) {
	ops := make([]T, 0, maxBatch)
	for op := range queue {
		ops = collectQueued(queue, append(ops[:0], op))
		commit(ops)
		clear(ops) // drop the answered ops for the garbage collector
	}
}

// collectQueued adds whatever else is already queued to ops, up to maxBatch.
func collectQueued[T any](queue <-chan T, ops []T) []T {
	for len(ops) < maxBatch {
		select {
		case op, ok := <-queue:
			if !ok {
				return ops
			}
			ops = append(ops, op)
		default:
			return ops
		}
	}
	return ops
}

// messageRows is a result set of message rows, as database/sql and pgx both give.
type messageRows interface {
	Next() bool
	Err() error
}

// collectMessages scans every row of rows with scan, making room for capacity
// messages once there is a first one (a page that finds nothing allocates nothing).
func collectMessages[R messageRows](rows R, capacity int, scan func(R) (Message, error)) ([]Message, error) {
	var msgs []Message
	for rows.Next() {
		if msgs == nil {
			msgs = make([]Message, 0, capacity)
		}
		m, err := scan(rows)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}
