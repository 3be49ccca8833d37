package chat

import (
	"errors"

	"github.com/chatd/chatd/internal/socketio"
)

// This file is the glue between socketio and the operations: it runs an operation per
// event, then emits, acks and broadcasts what it decided. It holds no state.

// eventHandler handles one event of one client; a non-nil *Error refuses it.
type eventHandler func(c *client, s *socketio.Socket, e *socketio.Event) *Error

func (svc *Service) registerHandlers(ns *socketio.Namespace) {
	handlers := map[string]eventHandler{
		"joinRoom":        svc.onJoin,
		"leaveRoom":       svc.onLeave,
		"sendMessage":     svc.onSend,
		"typingIndicator": svc.onTyping,
		"presenceUpdate":  svc.onPresence,
		"readReceipt":     svc.onRead,
		"heartbeat":       svc.onHeartbeat,
		"syncMessages":    svc.onSync,
		"refreshToken":    svc.onRefresh,
		"getRoomMembers":  svc.onMembers,
	}
	for event, h := range handlers {
		ns.On(event, svc.wrap(event, h))
	}
	ns.OnAny(func(s *socketio.Socket, e *socketio.Event) {
		if c := clientOf(s); c != nil {
			c.sends.wait()
			svc.metrics.eventIn(unknownEventLabel)
			svc.refuse(c, s, e, e.Name, invalid(CodeUnknownEvent, "unknown event"))
		}
	})
}

func (svc *Service) wrap(event string, h eventHandler) socketio.EventHandler {
	received := svc.metrics.eventInCounter(event) // resolved once, not per event
	return func(s *socketio.Socket, e *socketio.Event) {
		c := clientOf(s)
		if c == nil {
			return
		}
		if received != nil {
			received.Inc()
		}
		if event == "sendMessage" && svc.pipeline != nil {
			svc.onSendPipelined(c, s, e, svc.pipeline)
			return
		}
		c.sends.wait() // every other event comes after the socket's sends in flight
		if err := svc.checkBinary(e); err != nil {
			svc.refuse(c, s, e, event, err)
			return
		}
		if err := h(c, s, e); err != nil {
			svc.refuse(c, s, e, event, err)
		}
	}
}

// checkBinary refuses events with binary attachments: no event of the contract has
// one, and a message could not store one as sent (only its placeholder).
func (svc *Service) checkBinary(e *socketio.Event) *Error {
	if len(e.Attachments) > 0 {
		return invalid(CodeInvalidPayload, "binary data is not accepted")
	}
	return nil
}

func (svc *Service) onJoin(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.join(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	if res.added {
		s.Join(socketio.Room(res.room))
	}
	if res.firstOfUser {
		svc.broadcast(s.To(socketio.Room(res.room)), "userJoinedRoom",
			roomUserOut{RoomID: res.room, UserID: c.user, Timestamp: timestamp(svc.clock.Now())})
	}
	return svc.reply(c, s, e, "joinedRoom", res.room)
}

func (svc *Service) onLeave(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.leave(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	svc.announceLeave(c, s, res)
	s.Leave(socketio.Room(res.room))
	return svc.reply(c, s, e, "leftRoom", res.room)
}

// announceLeave tells the others in a room that c's user stopped typing or left.
func (svc *Service) announceLeave(c *client, s *socketio.Socket, res leaveResult) {
	to := s.To(socketio.Room(res.room))
	if res.typingEnded {
		svc.broadcast(to, "userTyping", typingOut{RoomID: res.room, UserID: c.user, IsTyping: false})
	}
	if res.lastOfUser {
		svc.broadcast(to, "userLeftRoom",
			roomUserOut{RoomID: res.room, UserID: c.user, Timestamp: timestamp(svc.clock.Now())})
	}
}

func (svc *Service) onSend(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.send(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	svc.deliverSend(c, s, e, res)
	return nil
}

// deliverSend tells the room of an accepted send and answers the sender.
func (svc *Service) deliverSend(c *client, s *socketio.Socket, e *socketio.Event, res sendResult) {
	if res.message != nil {
		to := s.To(socketio.Room(res.room))
		if res.typingEnded {
			svc.broadcast(to, "userTyping", typingOut{RoomID: res.room, UserID: c.user, IsTyping: false})
		}
		svc.broadcast(to, "newMessage", res.message)
	}
	if err := svc.reply(c, s, e, "messageSent", res.receipt); err != nil {
		svc.refuse(c, s, e, "sendMessage", err)
	}
}

func (svc *Service) onTyping(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.setTyping(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	if res.changed {
		svc.broadcast(s.To(socketio.Room(res.room)), "userTyping",
			typingOut{RoomID: res.room, UserID: c.user, IsTyping: res.isTyping})
	}
	return svc.reply(c, s, e, "", okOut{OK: true})
}

func (svc *Service) onPresence(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.setPresence(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	if len(res.rooms) > 0 {
		svc.broadcast(s.Namespace().To(toRooms(res.rooms)...), "presenceUpdate", res.payload)
	}
	return svc.reply(c, s, e, "", okOut{OK: true})
}

func (svc *Service) onRead(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.markRead(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	if res.advanced {
		svc.broadcast(s.To(socketio.Room(res.room)), "messageRead", res.payload)
	}
	return svc.reply(c, s, e, "", res.payload)
}

func (svc *Service) onHeartbeat(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	return svc.reply(c, s, e, "", svc.heartbeat(c))
}

func (svc *Service) onSync(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.sync(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	for _, m := range res.messages {
		svc.emit(c, s, "newMessage", m)
	}
	return svc.reply(c, s, e, "syncComplete", res.complete)
}

func (svc *Service) onRefresh(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.refresh(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	return svc.reply(c, s, e, "tokenRefreshed", res)
}

func (svc *Service) onMembers(c *client, s *socketio.Socket, e *socketio.Event) *Error {
	res, err := svc.members(c, firstArg(e.Args))
	if err != nil {
		return err
	}
	return svc.reply(c, s, e, "roomMembers", res)
}

// connected registers a socket that passed the middleware. A socket restored by
// connection-state recovery is back in its rooms: its membership is rebuilt, and
// others learn of the user's return where the user was gone meanwhile.
func (svc *Service) connected(s *socketio.Socket) {
	c := clientOf(s)
	if c == nil {
		s.Disconnect(true)
		return
	}
	if s.Recovered() || c.isFinished() { // the state of the socket's previous life, kept by recovery
		c = newClient(s.ID(), c.currentClaims(), s, svc.log)
		s.SetValue(c)
	}
	svc.connect(c)
	c.armExpiry(svc.expiries, c.currentClaims())
	if s.Recovered() {
		svc.restoreRooms(c, s)
	}
	c.log().Debug("chat: connected", "recovered", s.Recovered())
}

// restoreRooms rebuilds the membership of a recovered socket from its rooms.
func (svc *Service) restoreRooms(c *client, s *socketio.Socket) {
	for _, r := range s.Rooms() {
		res, ok := svc.rejoin(c, string(r))
		switch {
		case !ok:
			s.Leave(r)
		case res.firstOfUser:
			svc.broadcast(s.To(r), "userJoinedRoom",
				roomUserOut{RoomID: res.room, UserID: c.user, Timestamp: timestamp(svc.clock.Now())})
		}
	}
}

// disconnected does a socket's leave bookkeeping while it is still in its rooms, so
// that the broadcasts reach the others there.
func (svc *Service) disconnected(s *socketio.Socket, reason socketio.DisconnectReason) {
	c := clientOf(s)
	if c == nil {
		return
	}
	leave := func() {
		for _, res := range svc.disconnect(c) {
			svc.announceLeave(c, s, res)
		}
		c.log().Debug("chat: disconnected", "reason", reason.String())
	}
	// The socket's last messages reach the room before its leave.
	if !c.sends.after(leave) {
		leave()
	}
}

// typingExpired tells the room that c's user stopped typing by timeout.
func (svc *Service) typingExpired(c *client, room string) {
	if c.sock != nil {
		svc.broadcast(c.sock.To(socketio.Room(room)), "userTyping",
			typingOut{RoomID: room, UserID: c.user, IsTyping: false})
	}
}

// userOffline runs when a user's presence grace period ends.
func (svc *Service) userOffline(user string, rooms []string, status, gen string) {
	svc.metrics.usersDelta(-1)
	status, announce := svc.offlineStatus(user, status, gen)
	ns := svc.ns.Load()
	if !announce || status == statusOffline || len(rooms) == 0 || ns == nil {
		return
	}
	svc.broadcast(ns.To(toRooms(rooms)...), "presenceUpdate",
		presenceOut{UserID: user, Status: statusOffline, Timestamp: timestamp(svc.clock.Now())})
}

// tokenExpired disconnects a socket whose token expired ("io server disconnect").
func (svc *Service) tokenExpired(c *client) {
	c.log().Info("chat: token expired; disconnecting")
	if c.sock == nil {
		return
	}
	svc.emitError(c, c.sock, authError(CodeTokenExpired, "token expired"))
	c.sock.Disconnect(false)
}

func toRooms(rooms []string) []socketio.Room {
	out := make([]socketio.Room, len(rooms))
	for i, r := range rooms {
		out[i] = socketio.Room(r)
	}
	return out
}

// isGone reports whether an emit failed only because the socket has left.
func isGone(err error) bool { return errors.Is(err, socketio.ErrDisconnected) }
