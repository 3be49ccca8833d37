// Payloads of the chatd contract (shared/spec/chat-api.md §3–4). Timestamps are
// ISO-8601 UTC strings with milliseconds, e.g. "2023-05-04T15:30:45.123Z".

/** A room id: 1–128 characters of A–Z a–z 0–9 _ - . : @ */
export type RoomId = string;

/** A user id: the `sub` claim of the user's token. */
export type UserId = string;

/** A message id: unique, and sortable by creation order within its room. */
export type MessageId = string;

/** ISO-8601 UTC with milliseconds. */
export type Timestamp = string;

/** A user's presence, shared by all of their sockets. */
export type PresenceStatus = "online" | "offline" | "away" | "busy";

/** Every presence status, for pickers and validation. */
export const PRESENCE_STATUSES: readonly PresenceStatus[] = ["online", "away", "busy", "offline"];

/** A file attached to a message; the server accepts only http(s) URLs. */
export interface Attachment {
  url: string;
  /** MIME type, e.g. "image/png". */
  type?: string;
  name?: string;
}

/** Free-form metadata: any JSON object. */
export type Metadata = { [key: string]: unknown };

/** A message as delivered by `newMessage` (live or by syncMessages). */
export interface Message {
  id: MessageId;
  content: string;
  /** The sender's user id. */
  sender: UserId;
  roomId: RoomId;
  timestamp: Timestamp;
  replyToId?: MessageId;
  attachment?: Attachment;
  metadata?: Metadata;
}

/** The payload of `sendMessage`. */
export interface SendMessageRequest {
  content: string;
  roomId: RoomId;
  replyToId?: MessageId;
  attachment?: Attachment;
  metadata?: Metadata;
  /** Up to 64 characters; a resend with the same id returns the original receipt. */
  clientMessageId?: string;
}

/** `messageSent`: the sender's receipt of a stored message. */
export interface Receipt {
  id: MessageId;
  timestamp: Timestamp;
  status: "sent";
  roomId: RoomId;
  clientMessageId?: string;
}

/** `userJoinedRoom` and `userLeftRoom`. */
export interface RoomMembership {
  roomId: RoomId;
  userId: UserId;
  timestamp: Timestamp;
}

/** `typingIndicator` (client) payload. */
export interface TypingRequest {
  roomId: RoomId;
  isTyping: boolean;
}

/** `userTyping`. */
export interface Typing {
  roomId: RoomId;
  userId: UserId;
  isTyping: boolean;
}

/** `presenceUpdate` (client) payload. */
export interface PresenceRequest {
  status: PresenceStatus;
}

/** `presenceUpdate` (server) payload. */
export interface Presence {
  userId: UserId;
  status: PresenceStatus;
  timestamp: Timestamp;
}

/** `readReceipt` payload. */
export interface ReadReceiptRequest {
  messageId: MessageId;
  roomId: RoomId;
}

/** `messageRead`. */
export interface MessageRead {
  messageId: MessageId;
  roomId: RoomId;
  userId: UserId;
  timestamp: Timestamp;
}

/** `syncMessages` payload. */
export interface SyncRequest {
  roomId: RoomId;
  /** Deliver the messages after this one; without it, the newest `limit`. */
  lastMessageId?: MessageId;
  /** 1–200, default 50. */
  limit?: number;
}

/** `syncComplete`. */
export interface SyncComplete {
  roomId: RoomId;
  syncedMessageCount: number;
  /** More messages follow: sync again from `lastMessageId`. */
  hasMore: boolean;
  /** The last message delivered, or the one asked from when none; null if the room is empty. */
  lastMessageId: MessageId | null;
}

/** `refreshToken` payload. */
export interface RefreshTokenRequest {
  token: string;
}

/** `tokenRefreshed`. */
export interface TokenRefreshed {
  expiresAt: Timestamp;
}

/** `getRoomMembers` payload. */
export interface RoomMembersRequest {
  roomId: RoomId;
}

/** One user with a socket in a room. */
export interface RoomMember {
  userId: UserId;
  status: PresenceStatus;
}

/** `roomMembers`. */
export interface RoomMembers {
  roomId: RoomId;
  members: RoomMember[];
}

/** The ack of events without a response event. */
export interface Ok {
  ok: true;
}

/** The ack of `heartbeat`. */
export interface HeartbeatAck {
  ok: true;
  timestamp: Timestamp;
}
