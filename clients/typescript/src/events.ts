// The typed event maps for socket.io-client v4:
//   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url + "/chat", opts);
// Every client event takes an optional ack; the ack gets the success payload or
// { error }.

import type { ChatError } from "./errors.js";
import type {
  HeartbeatAck,
  Message,
  MessageRead,
  Ok,
  Presence,
  PresenceRequest,
  ReadReceiptRequest,
  Receipt,
  RefreshTokenRequest,
  RoomId,
  RoomMembers,
  RoomMembersRequest,
  RoomMembership,
  SendMessageRequest,
  SyncComplete,
  SyncRequest,
  TokenRefreshed,
  Typing,
  TypingRequest,
} from "./payloads.js";

/** A refused event's ack. */
export interface AckError {
  error: ChatError;
}

/** What an ack receives: the success payload T, or { error }. */
export type AckResult<T> = T | AckError;

/** An ack callback receiving T on success. */
export type Ack<T> = (result: AckResult<T>) => void;

/** Narrows an ack result to its error. */
export function isAckError<T>(result: AckResult<T>): result is AckError {
  return typeof result === "object" && result !== null && "error" in result;
}

/** Events the server emits to a client of namespace /chat. */
export interface ServerToClientEvents {
  joinedRoom: (roomId: RoomId) => void;
  leftRoom: (roomId: RoomId) => void;
  userJoinedRoom: (data: RoomMembership) => void;
  userLeftRoom: (data: RoomMembership) => void;
  newMessage: (message: Message) => void;
  messageSent: (receipt: Receipt) => void;
  userTyping: (data: Typing) => void;
  presenceUpdate: (data: Presence) => void;
  messageRead: (data: MessageRead) => void;
  syncComplete: (data: SyncComplete) => void;
  tokenRefreshed: (data: TokenRefreshed) => void;
  roomMembers: (data: RoomMembers) => void;
  error: (error: ChatError) => void;
}

/** Events a client may emit on namespace /chat. */
export interface ClientToServerEvents {
  joinRoom: (room: RoomId | { roomId: RoomId }, ack?: Ack<RoomId>) => void;
  leaveRoom: (room: RoomId | { roomId: RoomId }, ack?: Ack<RoomId>) => void;
  sendMessage: (message: SendMessageRequest, ack?: Ack<Receipt>) => void;
  typingIndicator: (data: TypingRequest, ack?: Ack<Ok>) => void;
  presenceUpdate: (data: PresenceRequest, ack?: Ack<Ok>) => void;
  readReceipt: (data: ReadReceiptRequest, ack?: Ack<Ok>) => void;
  heartbeat: (ack?: Ack<HeartbeatAck>) => void;
  syncMessages: (data: SyncRequest, ack?: Ack<SyncComplete>) => void;
  refreshToken: (data: RefreshTokenRequest, ack?: Ack<TokenRefreshed>) => void;
  getRoomMembers: (data: RoomMembersRequest, ack?: Ack<RoomMembers>) => void;
}
