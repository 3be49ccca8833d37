package chat

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// Sync page sizes.
const (
	defaultSyncLimit = 50
	maxSyncLimit     = 200
)

// syncInput is the syncMessages payload.
type syncInput struct {
	RoomID        json.RawMessage `json:"roomId"`
	LastMessageID json.RawMessage `json:"lastMessageId"`
	Limit         json.RawMessage `json:"limit"`
}

// syncResult is what an accepted syncMessages delivers: the messages (each a
// newMessage), then syncComplete.
type syncResult struct {
	messages []json.RawMessage
	complete json.RawMessage
}

// sync handles syncMessages: the messages after lastMessageId, or the newest ones, up
// to limit, oldest first.
func (svc *Service) sync(c *client, raw json.RawMessage) (syncResult, *Error) {
	var in syncInput
	if !decodeObject(raw, &in) {
		return syncResult{}, invalid(CodeInvalidPayload, "payload must be an object {roomId, lastMessageId?, limit?}")
	}
	room, err := roomIDField(in.RoomID)
	if err != nil {
		return syncResult{}, err
	}
	if !c.currentClaims().AllowsRoom(room) {
		return syncResult{}, authError(CodeForbidden, "the token does not allow this room")
	}
	if !c.inRoom(room) {
		return syncResult{}, notInRoom()
	}
	limit, err := syncLimit(in.Limit)
	if err != nil {
		return syncResult{}, err
	}
	after, err := syncAfter(in.LastMessageID)
	if err != nil {
		return syncResult{}, err
	}
	return svc.page(c, room, after, limit)
}

// syncLimit reads limit: absent or null means 50; it must be a whole number >= 1
// (10.0 is one, as in JavaScript); more than 200 means 200.
func syncLimit(raw json.RawMessage) (int, *Error) {
	if absent(raw) {
		return defaultSyncLimit, nil
	}
	bad := invalid(CodeInvalidLimit, "limit must be a whole number from 1 to 200")
	var n json.Number
	if k := jsonKind(raw); k != '-' && (k < '0' || k > '9') || json.Unmarshal(raw, &n) != nil {
		return 0, bad
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil && !math.IsInf(f, 1) || f < 1 || f != math.Trunc(f) {
		return 0, bad
	}
	return int(min(f, maxSyncLimit)), nil
}

// syncAfter reads lastMessageId: absent, null and "" mean "the newest messages".
func syncAfter(raw json.RawMessage) (string, *Error) {
	if absent(raw) {
		return "", nil
	}
	id, ok := decodeString(raw)
	if !ok {
		return "", invalid(CodeInvalidPayload, "lastMessageId must be a string")
	}
	return id, nil
}

// page loads and encodes one page of room.
func (svc *Service) page(c *client, room, after string, limit int) (syncResult, *Error) {
	var seq int64
	if after != "" {
		m, err := svc.existingMessage(c, room, after)
		if err != nil {
			return syncResult{}, err
		}
		seq = m.Seq
	}
	msgs, hasMore, loadErr := svc.loadPage(room, after != "", seq, limit)
	if loadErr != nil {
		return syncResult{}, svc.internal(c, "load messages", loadErr)
	}
	res := syncResult{messages: make([]json.RawMessage, len(msgs))}
	out := syncOut{RoomID: room, SyncedMessageCount: len(msgs), HasMore: hasMore}
	if after != "" {
		out.LastMessageID = &after
	}
	for i, m := range msgs {
		enc, err := encodeJSON(newMessageOut(m))
		if err != nil {
			return syncResult{}, svc.internal(c, "encode message", err)
		}
		res.messages[i] = enc
		out.LastMessageID = &msgs[i].ID
	}
	var encErr error
	if res.complete, encErr = encodeJSON(out); encErr != nil {
		return syncResult{}, svc.internal(c, "encode sync", encErr)
	}
	return res, nil
}

func (svc *Service) loadPage(room string, hasAfter bool, seq int64, limit int) ([]store.Message, bool, error) {
	ctx, cancel := svc.storeContext()
	defer cancel()
	if hasAfter {
		defer svc.metrics.storeCall("after", time.Now())
		return svc.store.After(ctx, room, seq, limit)
	}
	defer svc.metrics.storeCall("latest", time.Now())
	return svc.store.Latest(ctx, room, limit)
}
