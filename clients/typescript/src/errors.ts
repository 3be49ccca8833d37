// Errors of the chatd contract: the payload of the `error` event, of refused acks
// ({ error }) and of connect_error data. The code lists mirror internal/chat/codes.go.

/** The broad class of an error. */
export type ErrorType = "auth" | "rate_limit" | "validation" | "server";

/** Codes of `validation` errors. */
export type ValidationErrorCode =
  | "invalid_payload"
  | "invalid_room"
  | "not_in_room"
  | "invalid_content"
  | "content_too_large"
  | "invalid_attachment"
  | "invalid_metadata"
  | "invalid_reply"
  | "reply_not_found"
  | "message_not_found"
  | "invalid_status"
  | "invalid_client_message_id"
  | "too_many_rooms"
  | "unknown_event"
  | "invalid_limit";

/** Codes of `auth` errors. The token codes also appear in connect_error data. */
export type AuthErrorCode = "forbidden" | "token_missing" | "token_invalid" | "token_expired";

/** Codes of `rate_limit` errors. */
export type RateLimitErrorCode = "rate_limited";

/** Codes of `server` errors; the cause is logged by the server, never sent. */
export type ServerErrorCode = "internal";

/** Every stable error code. */
export type ErrorCode = ValidationErrorCode | AuthErrorCode | RateLimitErrorCode | ServerErrorCode;

/** The client events an error can name in its `event` field. */
export type ClientEventName =
  | "joinRoom"
  | "leaveRoom"
  | "sendMessage"
  | "typingIndicator"
  | "presenceUpdate"
  | "readReceipt"
  | "heartbeat"
  | "syncMessages"
  | "refreshToken"
  | "getRoomMembers";

interface ErrorBase<T extends ErrorType, C extends ErrorCode> {
  type: T;
  code: C;
  /** Human-readable, safe to show. */
  message: string;
  /** The client event that was refused ("" when the error belongs to no event). */
  event: ClientEventName | (string & {});
}

/** A refused event or connection: discriminate on `type` (then `code`). */
export type ChatError =
  | ErrorBase<"validation", ValidationErrorCode>
  | ErrorBase<"auth", AuthErrorCode>
  | (ErrorBase<"rate_limit", RateLimitErrorCode> & {
      /** How long to wait before retrying, in milliseconds. */
      retryAfterMs: number;
    })
  | ErrorBase<"server", ServerErrorCode>;

/** The `data` of a connect_error whose message is "unauthorized". */
export interface ConnectErrorData {
  type: "auth";
  code: "token_missing" | "token_invalid" | "token_expired";
  message: string;
}

/** Every error code with its type, in the order internal/chat/codes.go lists them. */
export const ERROR_CODES: ReadonlyArray<{ readonly type: ErrorType; readonly code: ErrorCode }> = [
  { type: "validation", code: "invalid_payload" },
  { type: "validation", code: "invalid_room" },
  { type: "validation", code: "not_in_room" },
  { type: "validation", code: "invalid_content" },
  { type: "validation", code: "content_too_large" },
  { type: "validation", code: "invalid_attachment" },
  { type: "validation", code: "invalid_metadata" },
  { type: "validation", code: "invalid_reply" },
  { type: "validation", code: "reply_not_found" },
  { type: "validation", code: "message_not_found" },
  { type: "validation", code: "invalid_status" },
  { type: "validation", code: "invalid_client_message_id" },
  { type: "validation", code: "too_many_rooms" },
  { type: "validation", code: "unknown_event" },
  { type: "validation", code: "invalid_limit" },
  { type: "auth", code: "forbidden" },
  { type: "auth", code: "token_missing" },
  { type: "auth", code: "token_invalid" },
  { type: "auth", code: "token_expired" },
  { type: "rate_limit", code: "rate_limited" },
  { type: "server", code: "internal" },
];
