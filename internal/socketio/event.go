package socketio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync/atomic"
)

// Payload is a list of already-encoded event arguments together with the binary
// attachments their {"_placeholder":true,"num":N} objects refer to. Emitting a Payload
// sends exactly these bytes (key order and all).
type Payload struct {
	Args        []json.RawMessage
	Attachments [][]byte
}

// Event is one event received from a client. It stays valid after the handler
// returns, so a handler may hand it to another goroutine (to Ack later, say).
type Event struct {
	Name string
	// Payload holds the arguments after the event name, verbatim; binary arguments are
	// placeholders referring to Payload.Attachments.
	Payload

	socket *Socket
	hasAck bool
	ackID  int64
	acked  atomic.Bool
}

// Bind decodes the first len(dst) arguments into dst, in order; a missing argument
// leaves its destination untouched, and so does a nil destination. A *[]byte
// destination whose argument is an attachment placeholder receives the attachment.
func (e *Event) Bind(dst ...any) error {
	for i, d := range dst {
		if i >= len(e.Args) {
			break
		}
		if d == nil {
			continue
		}
		if err := e.bindArg(e.Args[i], d); err != nil {
			return fmt.Errorf("bind argument %d: %w", i, err)
		}
	}
	return nil
}

func (e *Event) bindArg(arg json.RawMessage, dst any) error {
	if b, ok := dst.(*[]byte); ok {
		if att, ok := e.attachment(arg); ok {
			*b = att
			return nil
		}
	}
	return json.Unmarshal(arg, dst)
}

// attachment returns the attachment arg refers to if it is a placeholder.
func (e *Event) attachment(arg json.RawMessage) ([]byte, bool) {
	if !bytes.Contains(arg, []byte(`"_placeholder"`)) {
		return nil, false
	}
	var ph struct {
		Placeholder bool `json:"_placeholder"`
		Num         *int `json:"num"`
	}
	if json.Unmarshal(arg, &ph) != nil || !ph.Placeholder || ph.Num == nil {
		return nil, false
	}
	if *ph.Num < 0 || *ph.Num >= len(e.Attachments) {
		return nil, false
	}
	return e.Attachments[*ph.Num], true
}

// WantsAck reports whether the client asked for an acknowledgement.
func (e *Event) WantsAck() bool { return e.hasAck }

// Ack answers the client's acknowledgement with args (encoded like Socket.Emit's).
// It returns ErrNoAck if none was asked and ErrAcked if already answered.
func (e *Event) Ack(args ...any) error {
	return e.ack(args, nil)
}

// AckPayload is Ack with pre-encoded arguments.
func (e *Event) AckPayload(p Payload) error {
	return e.ack(nil, &p)
}

func (e *Event) ack(args []any, p *Payload) error {
	if !e.hasAck {
		return ErrNoAck
	}
	if !e.acked.CompareAndSwap(false, true) {
		return ErrAcked
	}
	msgs, err := e.socket.nsp.encodeAck(e.ackID, args, p)
	if err != nil {
		e.acked.Store(false) // nothing was sent: the handler may answer again
		return err
	}
	return e.socket.send(msgs)
}

// onEvent dispatches an EVENT packet to the namespace's handler, synchronously: the
// receive path of the session is blocked meanwhile, which is what keeps one socket's
// events in order and pushes back on a client that sends faster than handlers run.
func (s *Socket) onEvent(pkt *packet, atts [][]byte) {
	if !s.connected.Load() {
		return
	}
	args := splitArray(make([]json.RawMessage, 0, countArray(pkt.data)), pkt.data)
	raw := args[0]
	if raw[0] == '"' {
		raw, _ = eventName(raw) // cannot fail: validated by decodePacket
	}
	s.nsp.stats.eventsIn.Add(1)
	name, h := s.nsp.handlers.Load().lookup(raw)
	if h == nil {
		return
	}
	e := &Event{
		Name:    name,
		Payload: Payload{Args: args[1:], Attachments: atts},
		socket:  s,
		hasAck:  pkt.id != noAck,
		ackID:   pkt.id,
	}
	callEventHandler(h, s, e)
}

func callEventHandler(h EventHandler, s *Socket, e *Event) {
	defer recoverHandler(s, e.Name)
	h(s, e)
}
