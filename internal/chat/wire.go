package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/store"
)

// This file holds the payloads the server sends, as the contract spells them. Each is
// encoded once (encodeJSON) and the same bytes go to the emit, the ack and broadcasts.

// timestampLayout is ISO-8601 UTC with exactly three fraction digits.
const timestampLayout = "2006-01-02T15:04:05.000Z"

func timestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

// messageOut is newMessage, both broadcast and replayed by syncMessages.
type messageOut struct {
	ID         string          `json:"id"`
	Content    string          `json:"content"`
	Sender     string          `json:"sender"`
	RoomID     string          `json:"roomId"`
	Timestamp  string          `json:"timestamp"`
	ReplyToID  string          `json:"replyToId,omitempty"`
	Attachment json.RawMessage `json:"attachment,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

func newMessageOut(m store.Message) messageOut {
	return messageOut{
		ID: m.ID, Content: m.Content, Sender: m.Sender, RoomID: m.Room,
		Timestamp: timestamp(m.CreatedAt), ReplyToID: m.ReplyTo,
		Attachment: m.Attachment, Metadata: m.Metadata,
	}
}

// receiptOut is messageSent.
type receiptOut struct {
	ID              string `json:"id"`
	Timestamp       string `json:"timestamp"`
	Status          string `json:"status"`
	RoomID          string `json:"roomId"`
	ClientMessageID string `json:"clientMessageId,omitempty"`
}

func newReceiptOut(m store.Message) receiptOut {
	return receiptOut{
		ID: m.ID, Timestamp: timestamp(m.CreatedAt), Status: "sent",
		RoomID: m.Room, ClientMessageID: m.ClientMessageID,
	}
}

// roomUserOut is userJoinedRoom and userLeftRoom.
type roomUserOut struct {
	RoomID    string `json:"roomId"`
	UserID    string `json:"userId"`
	Timestamp string `json:"timestamp"`
}

// typingOut is userTyping.
type typingOut struct {
	RoomID   string `json:"roomId"`
	UserID   string `json:"userId"`
	IsTyping bool   `json:"isTyping"`
}

// presenceOut is the presenceUpdate broadcast.
type presenceOut struct {
	UserID    string `json:"userId"`
	Status    string `json:"status"`
	Timestamp string `json:"timestamp"`
}

// readOut is messageRead.
type readOut struct {
	MessageID string `json:"messageId"`
	RoomID    string `json:"roomId"`
	UserID    string `json:"userId"`
	Timestamp string `json:"timestamp"`
}

// syncOut is syncComplete; LastMessageID is null when nothing was delivered or given.
type syncOut struct {
	RoomID             string  `json:"roomId"`
	SyncedMessageCount int     `json:"syncedMessageCount"`
	HasMore            bool    `json:"hasMore"`
	LastMessageID      *string `json:"lastMessageId"`
}

// refreshOut is tokenRefreshed.
type refreshOut struct {
	ExpiresAt string `json:"expiresAt"`
}

// membersOut is roomMembers.
type membersOut struct {
	RoomID  string      `json:"roomId"`
	Members []memberOut `json:"members"`
}

type memberOut struct {
	UserID string `json:"userId"`
	Status string `json:"status"`
}

// okOut acks events that have no response event.
type okOut struct {
	OK        bool   `json:"ok"`
	Timestamp string `json:"timestamp,omitempty"`
}

// encodeJSON encodes v without HTML escaping (the client decodes either form; this one
// is shorter and is what a Node server sends).
func encodeJSON(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
