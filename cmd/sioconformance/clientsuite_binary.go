package main

import (
	"encoding/json"
	"sync/atomic"

	"github.com/chatd/chatd/internal/socketio"
)

// dogeBytes is the binary the client suite expects from "doge" and "getbin".
var dogeBytes = []byte("asdfasdf")

// orderState records which of the ordered binary events a socket has received.
// Handlers of one socket run one at a time; the atomics make that assumption cheap to
// drop.
type orderState struct {
	abuff1 atomic.Bool
	blob1  atomic.Bool
	blob2  atomic.Bool
}

// orderOf returns the socket's orderState, creating it on first use.
func orderOf(s *socketio.Socket) *orderState {
	if st, ok := s.Value().(*orderState); ok {
		return st
	}
	st := &orderState{}
	s.SetValue(st)
	return st
}

// mixed is the object of the "jsonbuff" and "jsonblob" events.
type mixed struct {
	Hello   string          `json:"hello"`
	Message json.RawMessage `json:"message"`
	Goodbye string          `json:"goodbye"`
}

func (c clientSuite) registerBinary(root *socketio.Namespace) {
	root.On("doge", c.sendBinary("doge"))
	root.On("getbin", c.sendBinary("takebin"))
	root.On("buffa", c.ifBinary("buffack"))
	root.On("blob", c.ifBinary("back"))
	root.On("jsonbuff", c.ifMixed("jsonbuff-ack"))
	root.On("jsonblob", c.ifMixed("jsonblob-ack"))
	root.On("abuff1", c.abuff1)
	root.On("abuff2", c.abuff2)
	root.On("blob1", c.blob1)
	root.On("blob2", c.blob2)
	root.On("blob3", c.blob3)
}

// sendBinary returns a handler that emits dogeBytes as event.
func (c clientSuite) sendBinary(event string) socketio.EventHandler {
	return func(s *socketio.Socket, _ *socketio.Event) {
		emit(c.log, s, event, dogeBytes)
	}
}

// ifBinary returns a handler that emits reply when the first argument is binary.
func (c clientSuite) ifBinary(reply string) socketio.EventHandler {
	return func(s *socketio.Socket, e *socketio.Event) {
		if firstIsBinary(e) {
			emit(c.log, s, reply)
		}
	}
}

// ifMixed returns a handler that emits reply when the first argument is
// {hello: "lol", message: <binary>, goodbye: "gotcha"}.
func (c clientSuite) ifMixed(reply string) socketio.EventHandler {
	return func(s *socketio.Socket, e *socketio.Event) {
		var m mixed
		if len(e.Args) == 0 || json.Unmarshal(e.Args[0], &m) != nil {
			return
		}
		if m.Hello == "lol" && m.Goodbye == "gotcha" && isAttachment(m.Message, e.Attachments) {
			emit(c.log, s, reply)
		}
	}
}

func (c clientSuite) abuff1(s *socketio.Socket, e *socketio.Event) {
	if firstIsBinary(e) {
		orderOf(s).abuff1.Store(true)
	}
}

func (c clientSuite) abuff2(s *socketio.Socket, _ *socketio.Event) {
	if orderOf(s).abuff1.Load() {
		emit(c.log, s, "abuff2-ack")
	}
}

func (c clientSuite) blob1(s *socketio.Socket, e *socketio.Event) {
	if firstIsBinary(e) {
		orderOf(s).blob1.Store(true)
	}
}

func (c clientSuite) blob2(s *socketio.Socket, e *socketio.Event) {
	var str string
	st := orderOf(s)
	if st.blob1.Load() && len(e.Args) > 0 && json.Unmarshal(e.Args[0], &str) == nil && str == "second" {
		st.blob2.Store(true)
	}
}

func (c clientSuite) blob3(s *socketio.Socket, e *socketio.Event) {
	st := orderOf(s)
	if firstIsBinary(e) && st.blob1.Load() && st.blob2.Load() {
		emit(c.log, s, "blob3-ack")
	}
}

func firstIsBinary(e *socketio.Event) bool {
	return len(e.Args) > 0 && isAttachment(e.Args[0], e.Attachments)
}

// isAttachment reports whether v is a {"_placeholder":true,"num":N} object referring to
// one of attachments.
func isAttachment(v json.RawMessage, attachments [][]byte) bool {
	var ph struct {
		Placeholder bool `json:"_placeholder"`
		Num         *int `json:"num"`
	}
	if len(v) == 0 || json.Unmarshal(v, &ph) != nil {
		return false
	}
	return ph.Placeholder && ph.Num != nil && *ph.Num >= 0 && *ph.Num < len(attachments)
}
