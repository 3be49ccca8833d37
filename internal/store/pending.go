package store

import "context"

// appendOutcome is an append op once its writer has answered it: the stored message,
// and whether it was a duplicate of one stored before.
type appendOutcome interface {
	outcome() (Message, bool)
}

func (op *appendOp) outcome() (Message, bool)   { return op.out, op.duplicate }
func (op *pgAppendOp) outcome() (Message, bool) { return op.out, op.duplicate }

// pendingAppend is the PendingAppend of both durable stores: an op queued for a
// writer, which sends its outcome's error on done (buffered, one value) once the
// commit is durable; or an op refused before it was queued (err); or one already
// committed on the caller's goroutine (done nil).
type pendingAppend struct {
	ctx  context.Context
	op   appendOutcome
	done <-chan error
	err  error
}

func (p *pendingAppend) Wait() (Message, bool, error) {
	if p.err != nil {
		return Message{}, false, p.err
	}
	if p.done != nil {
		if err := awaitCommit(p.ctx, p.done); err != nil {
			return Message{}, false, err
		}
	}
	m, dup := p.op.outcome()
	return m, dup, nil
}

func (p *pendingAppend) Ready() bool { return p.err != nil || p.done == nil || len(p.done) > 0 }

// awaitCommit waits for the commit of an enqueued op. A caller whose ctx ends first
// gets ctx.Err(); the op may still commit.
func awaitCommit(ctx context.Context, done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // committed anyway: report the truth
			return err
		default:
			return ctx.Err()
		}
	}
}
