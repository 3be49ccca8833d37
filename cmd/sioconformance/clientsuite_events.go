package main

import (
	"encoding/json"
	"time"

	"github.com/chatd/chatd/internal/socketio"
)

// jsNull is what JavaScript's JSON.stringify writes for an undefined argument.
var jsNull = json.RawMessage("null")

// takeUTF8 are the strings the client suite expects back from "getUtf8", in order.
var takeUTF8 = [...]string{"てすと", "Я Б Г Д Ж Й", "Ä ä Ü ü ß", "utf8 — string", "utf8 — string"}

func (c clientSuite) hi(s *socketio.Socket, _ *socketio.Event) {
	emit(c.log, s, "hi")
}

// echo acknowledges with the first argument, exactly as received.
func (c clientSuite) echo(_ *socketio.Socket, e *socketio.Event) {
	arg := jsNull
	if len(e.Args) > 0 {
		arg = e.Args[0]
	}
	p := socketio.Payload{Args: []json.RawMessage{arg}, Attachments: e.Attachments}
	if err := e.AckPayload(p); err != nil {
		c.log.Debug("ack echo", "err", err)
	}
}

// ack asks the client for an acknowledgement and emits "got it" when the answer is
// (5, {test: <truthy>}).
func (c clientSuite) ack(s *socketio.Socket, _ *socketio.Event) {
	err := s.EmitWithAck("ack", nil, clientSuiteAckTimeout, func(args []json.RawMessage, err error) {
		if err == nil && isFiveAndTest(args) {
			emit(c.log, s, "got it")
		}
	})
	if err != nil {
		c.log.Debug("emit ack", "socket", s.ID(), "err", err)
	}
}

func isFiveAndTest(args []json.RawMessage) bool {
	if len(args) < 2 {
		return false
	}
	var five float64
	var obj struct {
		Test json.RawMessage `json:"test"`
	}
	if json.Unmarshal(args[0], &five) != nil || json.Unmarshal(args[1], &obj) != nil {
		return false
	}
	return five == 5 && isTruthy(obj.Test)
}

// isTruthy reports whether a JSON value is truthy in JavaScript.
func isTruthy(v json.RawMessage) bool {
	switch string(v) {
	case "", "null", "false", "0", `""`, "-0":
		return false
	}
	return true
}

func (c clientSuite) getAckDate(_ *socketio.Socket, e *socketio.Event) {
	ack(c.log, e, jsDate(time.Now()))
}

func (c clientSuite) getDate(s *socketio.Socket, _ *socketio.Event) {
	emit(c.log, s, "takeDate", jsDate(time.Now()))
}

func (c clientSuite) getDateObj(s *socketio.Socket, _ *socketio.Event) {
	emit(c.log, s, "takeDateObj", struct {
		Date string `json:"date"`
	}{jsDate(time.Now())})
}

// jsDate formats t the way JSON.stringify writes a JavaScript Date.
func jsDate(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func (c clientSuite) getUTF8(s *socketio.Socket, _ *socketio.Event) {
	for _, str := range takeUTF8 {
		emit(c.log, s, "takeUtf8", str)
	}
}

func (c clientSuite) sendFalse(s *socketio.Socket, _ *socketio.Event) {
	emit(c.log, s, "false", false)
}

func (c clientSuite) getHandshake(s *socketio.Socket, e *socketio.Event) {
	ack(c.log, e, newHandshakeView(s))
}

func (c clientSuite) emitHandshake(s *socketio.Socket) {
	emit(c.log, s, "handshake", newHandshakeView(s))
}

func (c clientSuite) getID(s *socketio.Socket, e *socketio.Event) {
	ack(c.log, e, s.ID())
}
