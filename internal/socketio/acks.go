package socketio

import (
	"encoding/json"
	"fmt"
	"time"
)

// AckCallback receives the client's answer to EmitWithAck, or ErrAckTimeout /
// ErrDisconnected. It runs on the session's receive path (or a timer): it should not
// block for long.
type AckCallback func(args []json.RawMessage, err error)

// pendingAck is an EmitWithAck waiting for the client's answer.
type pendingAck struct {
	cb    AckCallback
	timer *time.Timer // nil without timeout
}

// EmitWithAck sends an event asking the client for an acknowledgement; cb is called
// exactly once with the client's answer, or with ErrAckTimeout after timeout (zero
// means no timeout), or with ErrDisconnected if the socket leaves first. When
// EmitWithAck returns an error, cb is not called. The attachments of a binary answer
// are not delivered: their arguments stay placeholders. Events with an ack carry no
// recovery offset and are not replayed (as in socket.io).
func (s *Socket) EmitWithAck(event string, args []any, timeout time.Duration, cb AckCallback) error {
	if isReservedEvent([]byte(event)) {
		return fmt.Errorf("emit %q: %w", event, ErrReservedEvent)
	}
	id, ok := s.registerAck(cb, timeout)
	if !ok {
		return ErrDisconnected
	}
	msgs, err := s.nsp.encodeEvent(event, id, args, nil, "")
	if err == nil {
		err = s.send(msgs)
	}
	if err != nil && s.takeAck(id) == nil {
		return nil // the socket left meanwhile and cb got ErrDisconnected
	}
	return err
}

// registerAck records cb under a new ack id unless the socket is gone.
func (s *Socket) registerAck(cb AckCallback, timeout time.Duration) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected.Load() {
		return 0, false
	}
	id := s.nextAck
	s.nextAck++
	if s.acks == nil {
		s.acks = make(map[int64]*pendingAck)
	}
	pa := &pendingAck{cb: cb}
	if timeout > 0 {
		pa.timer = time.AfterFunc(timeout, func() { s.expireAck(id) })
	}
	s.acks[id] = pa
	return id, true
}

// takeAck removes and returns the pending ack id, or nil if it is no longer pending.
func (s *Socket) takeAck(id int64) *pendingAck {
	s.mu.Lock()
	defer s.mu.Unlock()
	pa := s.acks[id]
	if pa == nil {
		return nil
	}
	delete(s.acks, id)
	if pa.timer != nil {
		pa.timer.Stop()
	}
	return pa
}

func (s *Socket) expireAck(id int64) {
	if pa := s.takeAck(id); pa != nil {
		s.callAck(pa.cb, nil, ErrAckTimeout)
	}
}

// onAck delivers a client's ACK packet; unknown ids are ignored, as in socket.io.
func (s *Socket) onAck(pkt *packet) {
	if pkt.id == noAck {
		return
	}
	pa := s.takeAck(pkt.id)
	if pa == nil {
		return
	}
	args := splitArray(make([]json.RawMessage, 0, countArray(pkt.data)), pkt.data)
	s.callAck(pa.cb, args, nil)
}

// failAcks answers every pending ack with ErrDisconnected.
func (s *Socket) failAcks() {
	s.mu.Lock()
	acks := s.acks
	s.acks = nil
	s.mu.Unlock()
	for _, pa := range acks {
		if pa.timer != nil {
			pa.timer.Stop()
		}
		s.callAck(pa.cb, nil, ErrDisconnected)
	}
}

func (s *Socket) callAck(cb AckCallback, args []json.RawMessage, err error) {
	defer recoverHandler(s, "ack")
	cb(args, err)
}
