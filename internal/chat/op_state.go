package chat

import (
	"encoding/json"
	"errors"

	"github.com/chatd/chatd/internal/auth"
)

// typingInput is the typingIndicator payload.
type typingInput struct {
	RoomID   json.RawMessage `json:"roomId"`
	IsTyping json.RawMessage `json:"isTyping"`
}

// typingResult is the outcome of an accepted typingIndicator.
type typingResult struct {
	room     string
	isTyping bool
	changed  bool // the user started or stopped typing in the room: others are told
}

// setTyping handles typingIndicator. Only a socket starting to type consumes the
// typing rate; refreshes and stops are free.
func (svc *Service) setTyping(c *client, raw json.RawMessage) (typingResult, *Error) {
	var in typingInput
	if !decodeObject(raw, &in) {
		return typingResult{}, invalid(CodeInvalidPayload, "payload must be an object {roomId, isTyping}")
	}
	room, err := roomIDField(in.RoomID)
	if err != nil {
		return typingResult{}, err
	}
	on, ok := decodeBool(in.IsTyping)
	if !ok {
		return typingResult{}, invalid(CodeInvalidPayload, "isTyping must be a boolean")
	}
	if !c.inRoom(room) {
		return typingResult{}, notInRoom()
	}
	res := typingResult{room: room, isTyping: on}
	if !on {
		res.changed = svc.typing.stop(c, room)
		return res, nil
	}
	if !svc.typing.active(c, room) {
		if _, wait := svc.takeToken(c, c.limits.typingLimiter(), bucketTyping, svc.cfg.RateTyping, ceilBurst(svc.cfg.RateTyping)); wait > 0 {
			return res, rateLimited("too many typing changes", wait)
		}
	}
	res.changed = svc.typing.start(c, room)
	return res, nil
}

// presenceInput is the presenceUpdate payload.
type presenceInput struct {
	Status json.RawMessage `json:"status"`
}

// presenceResult is the broadcast of an accepted presenceUpdate.
type presenceResult struct {
	payload presenceOut
	rooms   []string // every room of every socket of the user, deduplicated
}

// setPresence handles presenceUpdate. Every accepted update is broadcast, even one that
// repeats the current status: clients may use it to re-announce.
func (svc *Service) setPresence(c *client, raw json.RawMessage) (presenceResult, *Error) {
	var in presenceInput
	status, ok := "", decodeObject(raw, &in)
	if ok {
		status, ok = decodeString(in.Status)
	}
	if !ok || !validStatus(status) {
		return presenceResult{}, invalid(CodeInvalidStatus, "status must be one of online, offline, away, busy")
	}
	clients := svc.users.setStatus(c.user, status)
	seen := make(map[string]struct{})
	var rooms []string
	for _, other := range clients {
		for _, r := range other.roomList() {
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				rooms = append(rooms, r)
			}
		}
	}
	if svc.registry != nil {
		rooms = svc.clusterStatusRooms(c.user, status, rooms)
	}
	out := presenceOut{UserID: c.user, Status: status, Timestamp: timestamp(svc.clock.Now())}
	return presenceResult{payload: out, rooms: rooms}, nil
}

// heartbeat handles heartbeat: it records the user's liveness.
func (svc *Service) heartbeat(c *client) okOut {
	svc.users.touch(c.user)
	return okOut{OK: true, Timestamp: timestamp(svc.clock.Now())}
}

// refreshInput is the refreshToken payload.
type refreshInput struct {
	Token json.RawMessage `json:"token"`
}

// refresh handles refreshToken: a valid token for the same user replaces the socket's
// claims and re-arms its expiry.
func (svc *Service) refresh(c *client, raw json.RawMessage) (refreshOut, *Error) {
	var in refreshInput
	if !decodeObject(raw, &in) {
		return refreshOut{}, invalid(CodeInvalidPayload, "payload must be an object {token}")
	}
	if absent(in.Token) {
		return refreshOut{}, authError(CodeTokenMissing, "no token")
	}
	token, ok := decodeString(in.Token)
	if !ok || token == "" {
		return refreshOut{}, invalid(CodeInvalidPayload, "token must be a string")
	}
	claims, err := svc.verify(token)
	if err != nil {
		return refreshOut{}, err
	}
	if claims.Subject != c.user {
		return refreshOut{}, authError(CodeTokenInvalid, "the token is for another user")
	}
	c.armExpiry(svc.expiries, claims)
	out := refreshOut{}
	if !claims.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamp(claims.ExpiresAt)
	}
	return out, nil
}

// verify checks a token, mapping its refusal to an auth error a client may see.
func (svc *Service) verify(token string) (*auth.Claims, *Error) {
	claims, err := svc.verifier.Verify(token)
	if err == nil {
		return claims, nil
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		return nil, authError(ae.Code, ae.Message)
	}
	return nil, authError(CodeTokenInvalid, "invalid token")
}
