package socketio

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/chatd/chatd/internal/engineio"
)

// errMiddlewarePanic refuses a connection whose middleware panicked.
var errMiddlewarePanic = errors.New("internal server error")

// connect handles a client's CONNECT to this namespace: it restores a recoverable
// session if asked to, runs the middleware and admits the socket or refuses it.
func (n *Namespace) connect(c *client, auth []byte) {
	s := newSocket(n, c, cloneRaw(auth))
	restored, missed := n.restore(s)
	tbl := n.handlers.Load()
	skip := restored != nil && n.srv.cfg.Recovery.SkipMiddlewares
	if !skip {
		if err := runMiddleware(tbl.middleware, s); err != nil {
			c.refuse(n.name, err)
			return
		}
	}
	n.admit(s, restored, missed, tbl)
}

// restore takes the persisted session the CONNECT's {"pid","offset"} names, if
// recovery is on and the session and offset are still known; the socket takes over
// its id.
func (n *Namespace) restore(s *Socket) (*persistedSession, [][]engineio.Message) {
	if n.log == nil {
		return nil, nil
	}
	s.pid = newID()
	if s.auth == nil {
		return nil, nil
	}
	var cred struct {
		PID    *string `json:"pid"`
		Offset *string `json:"offset"`
	}
	if json.Unmarshal(s.auth, &cred) != nil || cred.PID == nil || cred.Offset == nil {
		return nil, nil
	}
	sess, missed, ok := n.log.take(*cred.PID, *cred.Offset)
	if !ok {
		return nil, nil
	}
	// A socket of this process that left with this session may still be leaving
	// (running OnDisconnect); it must be out of the adapter before its id is reused.
	n.log.awaitLeft(sess.sid)
	s.id, s.pid, s.recovered = sess.sid, sess.pid, true
	s.value = sess.value
	return sess, missed
}

// runMiddleware runs mws in order and returns the first refusal.
func runMiddleware(mws []Middleware, s *Socket) error {
	for _, mw := range mws {
		if err := callMiddleware(mw, s); err != nil {
			return err
		}
	}
	return nil
}

func callMiddleware(mw Middleware, s *Socket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.client.logger().Error("socketio: middleware panicked", "nsp", s.nsp.name, "panic", r)
			err = errMiddlewarePanic
		}
	}()
	return mw(s)
}

// admit makes s a connected socket: it joins the namespace and its own room (and the
// rooms of a restored session), the CONNECT reply and any missed packets are queued,
// then OnConnect runs.
func (n *Namespace) admit(s *Socket, restored *persistedSession, missed [][]engineio.Message, tbl *handlerTable) {
	c := s.client
	if !c.addSocket(s) {
		return // the session closed while the middleware ran
	}
	n.addSocket(s)
	s.connected.Store(true)
	n.srv.adapter.AddAll(s)
	if restored != nil {
		n.srv.adapter.AddAll(s, restored.rooms...)
	}
	if err := c.conn.Send(n.connectReply(s)...); err != nil {
		c.logger().Debug("socketio: send connect reply", "nsp", n.name, "err", err)
	}
	if restored != nil {
		n.replay(s, missed)
	}
	// The reply (and any replay) leaves now, not with what OnConnect sends, as from
	// socket.io: the client is answered before OnConnect's work (a cluster round trip,
	// say) is done, and a client that reads frame by frame gets the reply apart.
	c.flush()
	n.stats.connects.Add(1)
	if tbl.onConnect != nil {
		callConnectHandler(tbl.onConnect, s)
	}
}

func (n *Namespace) connectReply(s *Socket) []engineio.Message {
	e := n.srv.getEncoder()
	defer n.srv.putEncoder(e)
	e.connectData(s.id, s.pid)
	return e.messages(packetConnect, n.name, noAck)
}

// replay queues the broadcasts a restored socket missed.
func (n *Namespace) replay(s *Socket, missed [][]engineio.Message) {
	for _, msgs := range missed {
		if err := s.client.conn.Send(msgs...); err != nil {
			s.client.logger().Debug("socketio: replay missed packet", "nsp", n.name, "err", err)
			return
		}
		n.stats.eventsOut.Add(1)
	}
}

func callConnectHandler(fn func(*Socket), s *Socket) {
	defer recoverHandler(s, "connect")
	fn(s)
}

// recoverHandler logs a panicking handler instead of letting it kill the server.
func recoverHandler(s *Socket, what string) {
	if r := recover(); r != nil {
		s.client.logger().Error("socketio: handler panicked",
			"nsp", s.nsp.name, "socket", s.id, "handler", what, "panic", fmt.Sprint(r),
			"stack", string(debug.Stack()))
	}
}

// cloneRaw copies b, keeping nil as nil.
func cloneRaw(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return append(json.RawMessage(nil), b...)
}
