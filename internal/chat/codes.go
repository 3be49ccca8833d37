package chat

// Error types: the "type" of an error payload.
const (
	TypeAuth       = "auth"
	TypeRateLimit  = "rate_limit"
	TypeValidation = "validation"
	TypeServer     = "server"
)

// Error codes: the stable "code" of an error payload (and of connect_error data).
const (
	CodeInvalidPayload         = "invalid_payload"
	CodeInvalidRoom            = "invalid_room"
	CodeNotInRoom              = "not_in_room"
	CodeInvalidContent         = "invalid_content"
	CodeContentTooLarge        = "content_too_large"
	CodeInvalidAttachment      = "invalid_attachment"
	CodeInvalidMetadata        = "invalid_metadata"
	CodeInvalidReply           = "invalid_reply"
	CodeReplyNotFound          = "reply_not_found"
	CodeMessageNotFound        = "message_not_found"
	CodeInvalidStatus          = "invalid_status"
	CodeInvalidClientMessageID = "invalid_client_message_id"
	CodeTooManyRooms           = "too_many_rooms"
	CodeUnknownEvent           = "unknown_event"
	CodeInvalidLimit           = "invalid_limit"
	CodeForbidden              = "forbidden"
	CodeTokenInvalid           = "token_invalid"
	CodeTokenExpired           = "token_expired"
	CodeTokenMissing           = "token_missing"
	CodeRateLimited            = "rate_limited"
	CodeInternal               = "internal"
)

// ErrorCode documents one error code, for the README and for clients.
type ErrorCode struct {
	Type    string
	Code    string
	Meaning string
}

// ErrorCodes lists every error code the service sends, grouped by type.
func ErrorCodes() []ErrorCode {
	return []ErrorCode{
		{TypeValidation, CodeInvalidPayload, "the payload is not an object, or a required field has the wrong JSON type"},
		{TypeValidation, CodeInvalidRoom, "the room id is missing or not 1–128 characters of A–Z a–z 0–9 _ - . : @"},
		{TypeValidation, CodeNotInRoom, "the socket has not joined the room"},
		{TypeValidation, CodeInvalidContent, "content is not a string, or is blank without an attachment"},
		{TypeValidation, CodeContentTooLarge, "the sendMessage payload exceeds the size limit (16384 bytes of JSON by default)"},
		{TypeValidation, CodeInvalidAttachment, "attachment is not an object with an http(s) url and optional string type and name"},
		{TypeValidation, CodeInvalidMetadata, "metadata is not a JSON object"},
		{TypeValidation, CodeInvalidReply, "replyToId is not a non-empty string"},
		{TypeValidation, CodeReplyNotFound, "replyToId names no message of the room"},
		{TypeValidation, CodeMessageNotFound, "the message (readReceipt messageId, syncMessages lastMessageId) is not in the room"},
		{TypeValidation, CodeInvalidStatus, "status is not one of online, offline, away, busy"},
		{TypeValidation, CodeInvalidClientMessageID, "clientMessageId is not a string of 1–64 characters"},
		{TypeValidation, CodeTooManyRooms, "the socket is already in the maximum number of rooms"},
		{TypeValidation, CodeUnknownEvent, "the event is not part of the contract"},
		{TypeValidation, CodeInvalidLimit, "syncMessages limit is not a whole number >= 1"},
		{TypeAuth, CodeForbidden, "the token's rooms claim does not allow the room"},
		{TypeAuth, CodeTokenMissing, "no token was presented"},
		{TypeAuth, CodeTokenInvalid, "the token is malformed, badly signed, or for another user"},
		{TypeAuth, CodeTokenExpired, "the token has expired"},
		{TypeRateLimit, CodeRateLimited, "too many events (or connections); retryAfterMs says when to retry"},
		{TypeServer, CodeInternal, "the server failed; the cause is logged, never sent"},
	}
}

// Error is the payload of the "error" event, and of {"error": …} in refused acks.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Event   string `json:"event"`
	// RetryAfterMs is set, and only sent, for rate_limit errors.
	RetryAfterMs int64 `json:"retryAfterMs,omitempty"`
}

func (e *Error) Error() string { return e.Type + "/" + e.Code + ": " + e.Message }

func invalid(code, message string) *Error {
	return &Error{Type: TypeValidation, Code: code, Message: message}
}

func authError(code, message string) *Error {
	return &Error{Type: TypeAuth, Code: code, Message: message}
}

// internalError is what a client learns of a server failure: nothing but that it happened.
func internalError() *Error {
	return &Error{Type: TypeServer, Code: CodeInternal, Message: "internal error"}
}
