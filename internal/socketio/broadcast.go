package socketio

import (
	"fmt"
	"slices"

	"github.com/chatd/chatd/internal/engineio"
)

// BroadcastOperator selects the receivers of a broadcast. It is a value; each method
// returns a modified copy. Emit encodes the packet once and queues the same bytes on
// every receiver; each socket receives it at most once even if it is in several of the
// target rooms.
type BroadcastOperator struct {
	nsp  *Namespace
	opts BroadcastOptions // its slices are never appended to in place (see To)
}

// To adds target rooms.
func (b BroadcastOperator) To(rooms ...Room) BroadcastOperator {
	b.opts.Rooms = append(slices.Clip(b.opts.Rooms), rooms...)
	return b
}

// Except excludes the sockets in any of rooms.
func (b BroadcastOperator) Except(rooms ...Room) BroadcastOperator {
	b.opts.Except = append(slices.Clip(b.opts.Except), rooms...)
	return b
}

// Emit sends the event to the selected sockets.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	return b.nsp.broadcast(b.opts, event, args, nil)
}

// EmitPayload sends the event with pre-encoded arguments to the selected sockets.
// The payload's slices are queued as they are and must not be modified afterwards.
func (b BroadcastOperator) EmitPayload(event string, p Payload) error {
	return b.nsp.broadcast(b.opts, event, nil, &p)
}

// broadcast encodes the event once, logs it for recovery (with its offset as last
// argument) and hands it to the adapter.
func (n *Namespace) broadcast(opts BroadcastOptions, event string, args []any, p *Payload) error {
	if isReservedEvent([]byte(event)) {
		return fmt.Errorf("emit %q: %w", event, ErrReservedEvent)
	}
	var offset string
	if n.log != nil {
		offset = n.log.reserve()
	}
	msgs, err := n.encodeEvent(event, noAck, args, p, offset)
	if err != nil {
		return err
	}
	if n.log != nil {
		n.log.append(offset, msgs, opts)
	}
	n.stats.broadcasts.Add(1)
	if _, err := n.srv.adapter.Broadcast(n.name, msgs, opts); err != nil {
		return fmt.Errorf("broadcast %q: %w", event, err)
	}
	return nil
}

// encodeEvent encodes an EVENT (or BINARY_EVENT) packet of this namespace from args,
// or from p when it is not nil.
func (n *Namespace) encodeEvent(event string, id int64, args []any, p *Payload, offset string) ([]engineio.Message, error) {
	e := n.srv.getEncoder()
	defer n.srv.putEncoder(e)
	if p != nil {
		e.eventPayloadData(event, *p, offset)
	} else if err := e.eventData(event, args, offset); err != nil {
		return nil, fmt.Errorf("emit %q: %w", event, err)
	}
	return e.messages(packetEvent, n.name, id), nil
}

// encodeAck encodes an ACK (or BINARY_ACK) packet of this namespace.
func (n *Namespace) encodeAck(id int64, args []any, p *Payload) ([]engineio.Message, error) {
	e := n.srv.getEncoder()
	defer n.srv.putEncoder(e)
	if p != nil {
		e.ackPayloadData(*p)
	} else if err := e.ackData(args); err != nil {
		return nil, fmt.Errorf("ack: %w", err)
	}
	return e.messages(packetAck, n.name, id), nil
}
