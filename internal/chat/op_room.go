package chat

import (
	"encoding/json"
)

// joinResult is the outcome of an accepted joinRoom.
type joinResult struct {
	room        string
	added       bool // the socket was not in the room before
	firstOfUser bool // …and none of the user's sockets was: others are told
}

// join handles joinRoom: "room-id" or {roomId}. It is idempotent; only a join that adds
// the socket to the room is checked against the room limit and the join rate.
func (svc *Service) join(c *client, raw json.RawMessage) (joinResult, *Error) {
	room, err := roomArg(raw)
	if err != nil {
		return joinResult{}, err
	}
	if !c.currentClaims().AllowsRoom(room) {
		return joinResult{}, authError(CodeForbidden, "the token does not allow this room")
	}
	res := joinResult{room: room}
	if c.inRoom(room) {
		return res, nil
	}
	if c.roomCount() >= svc.cfg.MaxRoomsPerSocket {
		return res, invalid(CodeTooManyRooms, "too many rooms joined")
	}
	if _, wait := svc.takeToken(c, c.limits.joinLimiter(), bucketJoins, svc.cfg.RateJoins, ceilBurst(svc.cfg.RateJoins)); wait > 0 {
		return res, rateLimited("too many joins", wait)
	}
	added, ok := c.addRoom(room, svc.cfg.MaxRoomsPerSocket)
	if !ok {
		return res, invalid(CodeTooManyRooms, "too many rooms joined")
	}
	if added {
		res.added = true
		res.firstOfUser = svc.enterRoom(c, room)
	}
	return res, nil
}

// enterRoom counts c's socket in room and reports whether it is the user's first.
func (svc *Service) enterRoom(c *client, room string) (firstOfUser bool) {
	defer svc.locks.lock(c.user)()
	first, newRoom := svc.rooms.join(c.user, room)
	if newRoom {
		svc.metrics.roomsDelta(1)
	}
	if first && svc.registry != nil {
		first = svc.clusterJoined(c.user, room)
	}
	return first
}

// rejoin records that a recovered socket is back in room, without the rate and event
// checks of joinRoom; ok is false when the room is no longer allowed (or over the
// limit), and the socket must leave it.
func (svc *Service) rejoin(c *client, room string) (joinResult, bool) {
	res := joinResult{room: room}
	if !validRoomID(room) || !c.currentClaims().AllowsRoom(room) {
		return res, false
	}
	added, ok := c.addRoom(room, svc.cfg.MaxRoomsPerSocket)
	if !ok || !added {
		return res, ok
	}
	res.added, res.firstOfUser = true, svc.enterRoom(c, room)
	return res, true
}

// leaveResult is the outcome of a socket leaving a room.
type leaveResult struct {
	room        string
	typingEnded bool // others are told isTyping:false
	lastOfUser  bool // others are told userLeftRoom
}

// leave handles leaveRoom: "room-id" or {roomId}. Leaving a room the socket is not in
// succeeds and changes nothing.
func (svc *Service) leave(c *client, raw json.RawMessage) (leaveResult, *Error) {
	room, err := roomArg(raw)
	if err != nil {
		return leaveResult{}, err
	}
	if !c.removeRoom(room) {
		return leaveResult{room: room}, nil
	}
	return svc.leftRoom(c, room), nil
}

// leftRoom does the bookkeeping of c having left room (by leaveRoom or disconnect).
func (svc *Service) leftRoom(c *client, room string) leaveResult {
	res := leaveResult{room: room, typingEnded: svc.typing.stop(c, room)}
	defer svc.locks.lock(c.user)()
	last, gone := svc.rooms.leave(c.user, room)
	if gone {
		svc.metrics.roomsDelta(-1)
	}
	if last && svc.registry != nil {
		last = svc.clusterLeft(c.user, room)
	}
	res.lastOfUser = last
	return res
}

// members handles getRoomMembers: the users with a socket in the room now, with their
// status, sorted by user id.
func (svc *Service) members(c *client, raw json.RawMessage) (membersOut, *Error) {
	room, err := roomArg(raw)
	if err != nil {
		return membersOut{}, err
	}
	if !c.inRoom(room) {
		return membersOut{}, notInRoom()
	}
	out := membersOut{RoomID: room}
	if svc.registry != nil {
		if members, ok := svc.clusterMembers(room); ok {
			out.Members = members
			return out, nil
		}
	}
	users := svc.rooms.members(room)
	out.Members = make([]memberOut, len(users))
	for i, u := range users {
		out.Members[i] = memberOut{UserID: u, Status: svc.users.status(u)}
	}
	return out, nil
}

func notInRoom() *Error { return invalid(CodeNotInRoom, "join the room first") }

// connect registers a connected socket with its user.
func (svc *Service) connect(c *client) {
	defer svc.locks.lock(c.user)()
	if svc.users.connect(c) {
		svc.metrics.usersDelta(1)
	}
	// The user's first socket here, new or back inside the grace period.
	if svc.registry != nil && svc.users.sockets(c.user) == 1 {
		svc.clusterConnected(c.user)
	}
}

// disconnect does the bookkeeping of a socket that left: it leaves every room (the
// results say whom to tell) and, for the user's last socket, starts the presence grace
// period.
func (svc *Service) disconnect(c *client) []leaveResult {
	rooms := c.finish()
	left := make([]leaveResult, 0, len(rooms))
	for _, room := range rooms {
		left = append(left, svc.leftRoom(c, room))
	}
	unlock := svc.locks.lock(c.user)
	if svc.users.disconnect(c, rooms) && svc.registry != nil {
		svc.clusterDisconnected(c.user, rooms)
	}
	unlock()
	return left
}
