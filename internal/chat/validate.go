package chat

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits on identifiers a client names. Ids longer than maxMessageIDLen cannot exist in
// the store, so they are refused before any lookup.
const (
	maxClientMessageIDLen = 64
	maxMessageIDLen       = 128
)

// sendInput is the sendMessage payload with every field still raw, so that each field's
// JSON type can be checked exactly.
type sendInput struct {
	Content         json.RawMessage `json:"content"`
	RoomID          json.RawMessage `json:"roomId"`
	ReplyToID       json.RawMessage `json:"replyToId"`
	Attachment      json.RawMessage `json:"attachment"`
	Metadata        json.RawMessage `json:"metadata"`
	ClientMessageID json.RawMessage `json:"clientMessageId"`
}

// sendRequest is a validated sendMessage payload.
type sendRequest struct {
	Room            string
	Content         string
	ReplyTo         string
	Attachment      json.RawMessage // a JSON object, or nil
	Metadata        json.RawMessage // a JSON object, or nil
	ClientMessageID string
}

// attachmentInput is the attachment object, raw for exact type checks.
type attachmentInput struct {
	URL  json.RawMessage `json:"url"`
	Type json.RawMessage `json:"type"`
	Name json.RawMessage `json:"name"`
}

// decodeSend runs the first checks of sendMessage: the payload is an object of at most
// maxBytes bytes of JSON, with a valid roomId. Membership is checked by the caller
// before the fields are validated (validate).
func decodeSend(raw json.RawMessage, maxBytes int) (sendInput, string, *Error) {
	var in sendInput
	if len(raw) > maxBytes {
		return in, "", invalid(CodeContentTooLarge, fmt.Sprintf("content exceeds %d bytes", maxBytes))
	}
	if !decodeObject(raw, &in) {
		return in, "", invalid(CodeInvalidPayload, "payload must be an object")
	}
	room, err := roomIDField(in.RoomID)
	return in, room, err
}

// validate checks the fields of a sendMessage payload whose room is room.
func (in *sendInput) validate(room string) (sendRequest, *Error) {
	req := sendRequest{Room: room}
	var err *Error
	if req.Attachment, err = validAttachment(in.Attachment); err != nil {
		return req, err
	}
	content, ok := decodeString(in.Content)
	if !ok || (req.Attachment == nil && strings.TrimSpace(content) == "") {
		return req, invalid(CodeInvalidContent, "content must be a non-empty string")
	}
	req.Content = content
	if req.Metadata, err = validMetadata(in.Metadata); err != nil {
		return req, err
	}
	if req.ReplyTo, err = validReplyTo(in.ReplyToID); err != nil {
		return req, err
	}
	if req.ClientMessageID, err = validClientMessageID(in.ClientMessageID); err != nil {
		return req, err
	}
	return req, nil
}

// validAttachment accepts a missing attachment or an object with an http(s) url and
// optional string type and name; it returns the object as sent.
func validAttachment(raw json.RawMessage) (json.RawMessage, *Error) {
	if raw == nil {
		return nil, nil
	}
	bad := invalid(CodeInvalidAttachment, "attachment must be an object with an http(s) url")
	var a attachmentInput
	if !decodeObject(raw, &a) {
		return nil, bad
	}
	u, ok := decodeString(a.URL)
	if !ok || !httpURL(u) {
		return nil, bad
	}
	for _, f := range []json.RawMessage{a.Type, a.Name} {
		if _, ok := decodeString(f); f != nil && !ok {
			return nil, invalid(CodeInvalidAttachment, "attachment type and name must be strings")
		}
	}
	return raw, nil
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// validMetadata accepts a missing metadata or a JSON object.
func validMetadata(raw json.RawMessage) (json.RawMessage, *Error) {
	if raw == nil {
		return nil, nil
	}
	// raw is a field of a payload that decoded, so it is valid JSON: its first byte
	// tells whether it is an object.
	if jsonKind(raw) != '{' {
		return nil, invalid(CodeInvalidMetadata, "metadata must be an object")
	}
	return raw, nil
}

// validReplyTo accepts a missing (or null) replyToId or a non-empty string.
func validReplyTo(raw json.RawMessage) (string, *Error) {
	if absent(raw) {
		return "", nil
	}
	id, ok := decodeString(raw)
	if !ok || id == "" || len(id) > maxMessageIDLen {
		return "", invalid(CodeInvalidReply, "replyToId must be a message id")
	}
	return id, nil
}

// validClientMessageID accepts a missing (or null) clientMessageId or a string of 1–64
// characters.
func validClientMessageID(raw json.RawMessage) (string, *Error) {
	if absent(raw) {
		return "", nil
	}
	id, ok := decodeString(raw)
	if !ok || id == "" || utf8.RuneCountInString(id) > maxClientMessageIDLen {
		return "", invalid(CodeInvalidClientMessageID, "clientMessageId must be a string of 1-64 characters")
	}
	return id, nil
}
