package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// chatNsp is the namespace of the chat contract.
const chatNsp = "/chat"

// handler is what a scenario does with a ready session's traffic. Both methods run on
// the session's reader goroutine; data aliases a pooled buffer that is reused once
// they return.
type handler interface {
	onEvent(s *session, data []byte)
	onAck(s *session, id int64, data []byte)
}

// session is one client connection: a WebSocket carrying Engine.IO, connected to
// /chat with a token and joined to its rooms before it is handed to the scenario.
type session struct {
	ws    *gws.Conn
	h     handler
	token string
	rooms []string // joined at setup, in order
	stats *sessionStats

	// stage and joined belong to the reader goroutine.
	stage  stage
	joined int

	ready   chan error    // receives the outcome of the setup, once
	done    chan struct{} // closed when the reader has returned
	closing atomic.Bool   // set when we close: the close is then not a failure
}

// stage is how far a session's setup has come.
type stage uint8

const (
	stageOpening    stage = iota // waiting for the Engine.IO open packet
	stageConnecting              // CONNECT sent
	stageJoining                 // joinRoom sent, waiting for the acks
	stageReady                   // handed to the scenario
	stageFailed
)

// sessionStats are counters every session keeps, read by the progress reporter.
type sessionStats struct {
	pings        atomic.Uint64 // Engine.IO pings answered
	disconnected atomic.Bool   // the connection ended without us closing it
}

// dialSpec is what every session of a run shares.
type dialSpec struct {
	wsURL   string        // ws://host:port/socket.io/?EIO=4&transport=websocket
	timeout time.Duration // for the whole setup of one session
}

// dial connects a session, authenticates it with token and joins it to rooms; h
// receives its traffic from then on.
func (d dialSpec) dial(ctx context.Context, h handler, token string, rooms ...string) (*session, error) {
	s := &session{
		h: h, token: token, rooms: rooms, stats: &sessionStats{},
		ready: make(chan error, 1), done: make(chan struct{}),
	}
	ws, _, err := gws.NewClient(s, &gws.ClientOption{
		Addr:             d.wsURL,
		HandshakeTimeout: d.timeout,
		RequestHeader:    http.Header{},
	})
	if err != nil {
		return nil, fmt.Errorf("dial websocket: %w", err)
	}
	s.ws = ws
	go ws.ReadLoop()
	timer := time.NewTimer(d.timeout)
	defer timer.Stop()
	select {
	case err = <-s.ready:
	case <-timer.C:
		err = errors.New("timed out")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("set up session: %w", err)
	}
	return s, nil
}

// close leaves /chat and closes the connection, as socket.io-client's disconnect()
// does, then waits for the reader to return. Saying DISCONNECT first matters: a server
// that sees only the connection drop may take its slower error path (the Node
// baseline spends about a third more CPU per handshake on it).
func (s *session) close() {
	s.closing.Store(true)
	_ = s.write([]byte("41" + chatNsp + ",")) // Engine.IO message, Socket.IO DISCONNECT
	_ = s.ws.WriteClose(1000, nil)
	<-s.done
}

// write sends one Engine.IO packet; gws copies it into the frame, so b may be reused.
func (s *session) write(b []byte) error {
	return s.ws.WriteMessage(gws.OpcodeText, b)
}

// OnOpen is part of gws.Event; the Engine.IO open packet is what starts the setup.
func (s *session) OnOpen(*gws.Conn) {}

// OnClose is part of gws.Event.
func (s *session) OnClose(_ *gws.Conn, err error) {
	if !s.closing.Load() {
		s.stats.disconnected.Store(true)
	}
	s.fail(fmt.Errorf("connection closed: %w", err))
	close(s.done)
}

// OnPing is part of gws.Event: WebSocket-level pings (Engine.IO uses its own).
func (s *session) OnPing(c *gws.Conn, payload []byte) { _ = c.WritePong(payload) }

// OnPong is part of gws.Event.
func (s *session) OnPong(*gws.Conn, []byte) {}

// OnMessage is part of gws.Event: it dispatches one Engine.IO packet.
func (s *session) OnMessage(_ *gws.Conn, msg *gws.Message) {
	defer msg.Close()
	b := msg.Bytes()
	if len(b) == 0 {
		return
	}
	switch b[0] {
	case eioMessage:
		s.handleSIO(b[1:])
	case eioPing:
		s.stats.pings.Add(1)
		_ = s.write([]byte{eioPong})
	case eioOpen:
		s.handleOpen()
	case eioClose:
		s.fail(errors.New("server closed the session"))
	}
}

// handleOpen answers the Engine.IO open packet with the Socket.IO CONNECT to /chat.
func (s *session) handleOpen() {
	if s.stage != stageOpening {
		return
	}
	s.stage = stageConnecting
	b := make([]byte, 0, 32+len(s.token))
	b = append(b, eioMessage, sioConnect)
	b = append(b, chatNsp+`,{"token":"`...)
	b = append(b, s.token...)
	b = append(b, `"}`...)
	if err := s.write(b); err != nil {
		s.fail(fmt.Errorf("send connect: %w", err))
	}
}

// handleSIO dispatches a Socket.IO packet.
func (s *session) handleSIO(p []byte) {
	pkt, ok := parseSIO(p)
	if !ok || string(pkt.nsp) != chatNsp {
		return
	}
	switch pkt.typ {
	case sioEvent:
		if s.stage == stageReady {
			s.h.onEvent(s, pkt.data)
		}
	case sioAck:
		if s.stage == stageReady {
			s.h.onAck(s, pkt.id, pkt.data)
		} else if s.stage == stageJoining {
			s.handleJoinAck(pkt.data)
		}
	case sioConnect:
		s.handleConnected()
	case sioConnectError:
		s.fail(fmt.Errorf("connect refused: %s", truncate(pkt.data, 200)))
	case sioDisconnect:
		s.fail(errors.New("server disconnected the socket"))
	}
}

// handleConnected sends the joinRoom events, each with an ack, once CONNECT succeeded.
func (s *session) handleConnected() {
	if s.stage != stageConnecting {
		return
	}
	if len(s.rooms) == 0 {
		s.becomeReady()
		return
	}
	s.stage = stageJoining
	for i, room := range s.rooms {
		b := appendEmitHead(nil, int64(i), "joinRoom")
		b = strconv.AppendQuote(b, room)
		b = append(b, ']')
		if err := s.write(b); err != nil {
			s.fail(fmt.Errorf("send joinRoom: %w", err))
			return
		}
	}
}

// handleJoinAck counts a joinRoom ack; the last one makes the session ready.
func (s *session) handleJoinAck(data []byte) {
	if isErrorAck(data) {
		s.fail(fmt.Errorf("joinRoom refused: %s", errorCode(data)))
		return
	}
	s.joined++
	if s.joined == len(s.rooms) {
		s.becomeReady()
	}
}

func (s *session) becomeReady() {
	s.stage = stageReady
	s.ready <- nil
}

// fail ends the setup with err, if it is still under way.
func (s *session) fail(err error) {
	if s.stage == stageReady || s.stage == stageFailed {
		return
	}
	s.stage = stageFailed
	s.ready <- err
}

// appendEmitHead appends the start of an event packet to /chat asking for ack id
// (none when id is noAck), up to the event name and its comma: `42/chat,7["name",`.
func appendEmitHead(b []byte, id int64, event string) []byte {
	b = append(b, eioMessage, sioEvent)
	b = append(b, chatNsp+","...)
	if id != noAck {
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, `["`...)
	b = append(b, event...)
	return append(b, `",`...)
}

// truncate returns b as a string of at most n bytes, for error messages.
func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
