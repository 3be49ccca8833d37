package chat

import (
	"encoding/json"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"github.com/chatd/chatd/internal/store"
)

// sendResult is the outcome of an accepted sendMessage.
type sendResult struct {
	room        string
	receipt     json.RawMessage // messageSent, for the sender
	message     json.RawMessage // newMessage, for the others; nil for a duplicate
	typingEnded bool            // others are told isTyping:false
}

// send handles sendMessage. The checks run in the order documented in the package
// comment; the message counts as sent once the store has committed it.
func (svc *Service) send(c *client, raw json.RawMessage) (sendResult, *Error) {
	plan, res, err := svc.planSend(c, raw)
	if err != nil || plan == nil {
		return res, err
	}
	stored, dup, appendErr := svc.appendMessage(c, plan.req)
	return svc.finishSend(c, plan, stored, dup, appendErr)
}

// sendPlan is a checked sendMessage whose rate token is taken, ready to be stored.
type sendPlan struct {
	req   sendRequest
	token *rate.Reservation
	now   time.Time
}

// planSend checks a sendMessage and takes its rate token. A nil plan without error is
// an idempotent re-send through a full bucket, answered from memory in res.
func (svc *Service) planSend(c *client, raw json.RawMessage) (*sendPlan, sendResult, *Error) {
	in, room, err := decodeSend(raw, svc.cfg.MaxMessageBytes)
	if err != nil {
		return nil, sendResult{}, err
	}
	if !c.inRoom(room) {
		return nil, sendResult{}, notInRoom()
	}
	req, err := in.validate(room)
	if err != nil {
		return nil, sendResult{}, err
	}
	if err := svc.checkReply(c, req); err != nil {
		return nil, sendResult{}, err
	}
	now := svc.clock.Now()
	token, wait := svc.takeTokenAt(c, c.limits.messageLimiter(), bucketMessages, svc.cfg.RateMessages, svc.cfg.RateBurst, now)
	if wait > 0 {
		if m, ok := c.limits.recentSend(room, req.ClientMessageID); ok {
			res, err := svc.sent(c, m, true)
			return nil, res, err
		}
		return nil, sendResult{}, rateLimited("too many messages", wait)
	}
	return &sendPlan{req: req, token: token, now: now}, sendResult{}, nil
}

// finishSend turns the store's answer to plan into the send's result.
func (svc *Service) finishSend(c *client, plan *sendPlan, stored store.Message, dup bool, appendErr error) (sendResult, *Error) {
	if appendErr != nil || dup {
		plan.token.CancelAt(plan.now) // a failed or idempotent send costs nothing
		svc.clusterRefund(bucketMessages, c.user, svc.cfg.RateMessages)
	}
	if appendErr != nil {
		return sendResult{}, svc.internal(c, "append message", appendErr)
	}
	c.limits.rememberSend(stored)
	return svc.sent(c, stored, dup)
}

// checkReply verifies that the message replied to exists in the room.
func (svc *Service) checkReply(c *client, req sendRequest) *Error {
	if req.ReplyTo == "" {
		return nil
	}
	_, err := svc.getMessage(req.Room, req.ReplyTo)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return invalid(CodeReplyNotFound, "replyToId names no message of this room")
	case err != nil:
		return svc.internal(c, "get reply target", err)
	}
	return nil
}

func (svc *Service) appendMessage(c *client, req sendRequest) (store.Message, bool, error) {
	ctx, cancel := svc.storeContext()
	defer cancel()
	defer svc.metrics.storeCall("append", time.Now())
	return svc.store.Append(ctx, req.message(c.user))
}

// message is the store's form of the request of sender.
func (req *sendRequest) message(sender string) store.Message {
	return store.Message{
		Room: req.Room, Sender: sender, Content: req.Content, ReplyTo: req.ReplyTo,
		Attachment: req.Attachment, Metadata: req.Metadata, ClientMessageID: req.ClientMessageID,
	}
}

// sent encodes the receipt and, unless the send was a duplicate, the broadcast, and
// ends the user's typing in the room.
func (svc *Service) sent(c *client, m store.Message, dup bool) (sendResult, *Error) {
	res := sendResult{room: m.Room}
	var err error
	if res.receipt, err = encodeJSON(newReceiptOut(m)); err != nil {
		return res, svc.internal(c, "encode receipt", err)
	}
	if dup {
		return res, nil
	}
	if res.message, err = encodeJSON(newMessageOut(m)); err != nil {
		return res, svc.internal(c, "encode message", err)
	}
	res.typingEnded = svc.typing.stopUser(c, m.Room)
	return res, nil
}

func (svc *Service) getMessage(room, id string) (store.Message, error) {
	ctx, cancel := svc.storeContext()
	defer cancel()
	defer svc.metrics.storeCall("get", time.Now())
	return svc.store.Get(ctx, room, id)
}

// readInput is the readReceipt payload.
type readInput struct {
	MessageID json.RawMessage `json:"messageId"`
	RoomID    json.RawMessage `json:"roomId"`
}

// readResult is the outcome of an accepted readReceipt.
type readResult struct {
	room     string
	payload  readOut
	advanced bool // the read marker moved: others are told messageRead
}

// markRead handles readReceipt: the message must be in the room; the user's read
// marker only moves forward.
func (svc *Service) markRead(c *client, raw json.RawMessage) (readResult, *Error) {
	var in readInput
	if !decodeObject(raw, &in) {
		return readResult{}, invalid(CodeInvalidPayload, "payload must be an object {messageId, roomId}")
	}
	room, err := roomIDField(in.RoomID)
	if err != nil {
		return readResult{}, err
	}
	id, ok := decodeString(in.MessageID)
	if !ok {
		return readResult{}, invalid(CodeInvalidPayload, "messageId must be a string")
	}
	if !c.inRoom(room) {
		return readResult{}, notInRoom()
	}
	m, err := svc.existingMessage(c, room, id)
	if err != nil {
		return readResult{}, err
	}
	advanced, markErr := svc.storeMarkRead(c.user, m)
	if markErr != nil {
		return readResult{}, svc.internal(c, "mark read", markErr)
	}
	out := readOut{MessageID: m.ID, RoomID: room, UserID: c.user, Timestamp: timestamp(svc.clock.Now())}
	return readResult{room: room, payload: out, advanced: advanced}, nil
}

// existingMessage returns the message id of room, or message_not_found.
func (svc *Service) existingMessage(c *client, room, id string) (store.Message, *Error) {
	if id == "" || len(id) > maxMessageIDLen {
		return store.Message{}, invalid(CodeMessageNotFound, "no such message in this room")
	}
	m, err := svc.getMessage(room, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return m, invalid(CodeMessageNotFound, "no such message in this room")
	case err != nil:
		return m, svc.internal(c, "get message", err)
	}
	return m, nil
}

func (svc *Service) storeMarkRead(user string, m store.Message) (bool, error) {
	ctx, cancel := svc.storeContext()
	defer cancel()
	defer svc.metrics.storeCall("mark_read", time.Now())
	return svc.store.MarkRead(ctx, user, m.Room, m.ID, m.Seq)
}
