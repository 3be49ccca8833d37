package chat

import (
	"encoding/json"

	"github.com/chatd/chatd/internal/socketio"
)

// payloadJSON encodes v, unless it is encoded already.
func payloadJSON(v any) (json.RawMessage, error) {
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return encodeJSON(v)
}

// reply answers an accepted event: the response event (unless event is "") and the ack
// get the same bytes.
func (svc *Service) reply(c *client, s *socketio.Socket, e *socketio.Event, event string, v any) *Error {
	raw, err := payloadJSON(v)
	if err != nil {
		return svc.internal(c, "encode "+event, err)
	}
	if event != "" {
		svc.emit(c, s, event, raw)
	}
	if e.WantsAck() {
		if err := e.Ack(raw); err != nil && !isGone(err) {
			c.log().Debug("chat: ack failed", "err", err)
		}
	}
	return nil
}

// emit sends one event to s.
func (svc *Service) emit(c *client, s *socketio.Socket, event string, raw json.RawMessage) {
	svc.metrics.eventOut(event)
	if err := s.Emit(event, raw); err != nil && !isGone(err) {
		c.log().Debug("chat: emit failed", "event", event, "err", err)
	}
}

// broadcast sends one event to the sockets to selects, encoding it once.
func (svc *Service) broadcast(to socketio.BroadcastOperator, event string, v any) {
	raw, err := payloadJSON(v)
	if err != nil {
		svc.log.Error("chat: encode broadcast failed", "event", event, "err", err)
		return
	}
	svc.metrics.eventOut(event)
	if err := to.Emit(event, raw); err != nil {
		svc.log.Warn("chat: broadcast failed", "event", event, "err", err)
	}
}

// refuse answers a refused event: the "error" event, and {"error": …} to the ack. A
// socket that keeps getting refused for rate is disconnected.
func (svc *Service) refuse(c *client, s *socketio.Socket, e *socketio.Event, event string, err *Error) {
	err.Event = event
	raw := svc.emitError(c, s, err)
	if raw != nil && e.WantsAck() {
		reply := make(json.RawMessage, 0, len(raw)+10)
		reply = append(append(append(reply, `{"error":`...), raw...), '}')
		if ackErr := e.Ack(reply); ackErr != nil && !isGone(ackErr) {
			c.log().Debug("chat: ack failed", "err", ackErr)
		}
	}
	if err.Type == TypeRateLimit && c.flood.note(svc.clock.Now(), 3*svc.cfg.RateBurst) {
		c.log().Warn("chat: flooding; disconnecting", "event", event)
		s.Disconnect(true)
	}
}

// emitError sends err as an "error" event and returns its encoding.
func (svc *Service) emitError(c *client, s *socketio.Socket, err *Error) json.RawMessage {
	svc.metrics.refused(err)
	raw, encErr := encodeJSON(err)
	if encErr != nil {
		c.log().Error("chat: encode error failed", "err", encErr)
		return nil
	}
	svc.emit(c, s, "error", raw)
	return raw
}
