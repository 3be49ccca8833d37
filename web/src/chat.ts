// The chat client: one typed Socket.IO connection to namespace /chat and the Room
// model it keeps up to date. It follows the seed's reconnection strategy: on every
// (re)connect it rejoins the rooms, syncs each from the last message it knows, resends
// what was never acknowledged (safe: clientMessageId makes it idempotent), and
// restores the presence the user chose.

import { io, type Socket } from "socket.io-client";
import {
  isAckError,
  type Attachment,
  type ChatError,
  type ClientToServerEvents,
  type ConnectErrorData,
  type Message,
  type PresenceStatus,
  type ServerToClientEvents,
} from "@chatd/client-types";
import {
  addMessage, confirm, firstGap, indexOf, lastReceivedId, lastStoredId, newRoom, skipsAhead, type Room,
} from "./state";
import type { Session } from "./session";

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the connection badge shows. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

/** What the client tells the page. */
export interface ChatEvents {
  /** The model changed: render. */
  changed(): void;
  /** Something to show the user briefly. */
  notice(text: string, kind: "error" | "info"): void;
  /** The token was refused or has expired: back to sign-in. */
  unauthorized(message: string): void;
}

/** The longest a typing display lasts without a refresh from the server. */
const typingDisplayMs = 8000;
/** How often a typing user's state is refreshed (the server times out after ~6s). */
const typingRefreshMs = 3000;
/** Typing ends after this long without a keystroke. */
const typingIdleMs = 2500;
const heartbeatMs = 25_000;
/** Most sync rounds per room after a reconnect (200 messages each). */
const maxSyncRounds = 10;

export class Chat {
  readonly me: string;
  readonly rooms = new Map<string, Room>();
  active: string | null = null;
  state: ConnectionState = "connecting";
  status: PresenceStatus = "online";
  /** The transport in use: "polling" or "websocket". */
  transport = "";
  private readonly socket: ChatSocket;
  private readonly events: ChatEvents;
  private typingRoom: string | null = null;
  private typingSentAt = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly roomsKey: string;
  /** Messages written but not yet acknowledged, in the order they were written. */
  private outbox: { room: Room; clientMessageId: string }[] = [];
  /** A sendMessage is awaiting its ack. */
  private inFlight = false;
  /** A rate limit holds the outbox until then (ms epoch). */
  private pausedUntil = 0;
  /** Counts connections, so that an ack from an earlier one is ignored. */
  private attempt = 0;

  constructor(session: Session, events: ChatEvents, opts: { transports?: ("polling" | "websocket")[] } = {}) {
    this.me = session.userId;
    this.events = events;
    this.roomsKey = `chatd.rooms.${session.userId}`;
    for (const id of this.savedRooms()) this.rooms.set(id, newRoom(id));
    this.active = this.rooms.keys().next().value ?? null;
    this.socket = io("/chat", {
      auth: session.token ? { token: session.token } : {},
      withCredentials: true,
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
      // Leaving the page says goodbye at once, so that others see the user go after
      // the presence grace period rather than at the ping timeout.
      closeOnBeforeunload: true,
      ...(opts.transports ? { transports: opts.transports } : {}),
    });
    this.wire();
  }

  /** Closes the connection for good. */
  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.typingIdle);
    this.socket.disconnect();
  }

  // ------------------------------------------------------------------ connection

  private wire(): void {
    const s = this.socket;
    s.on("connect", () => this.onConnect());
    s.on("disconnect", (reason) => {
      clearInterval(this.heartbeat);
      for (const r of this.rooms.values()) {
        r.synced = false;
        r.typing.clear();
      }
      if (reason === "io server disconnect") {
        // The server ended the session (drain, or an expired token, which an error
        // event has announced): reconnect by hand, as the seed shows.
        this.setState("reconnecting");
        setTimeout(() => s.connect(), 1000);
      } else if (reason === "io client disconnect") {
        this.setState("offline");
      } else {
        this.setState("reconnecting");
      }
    });
    s.on("connect_error", (err) => {
      const data = (err as Error & { data?: ConnectErrorData }).data;
      if (err.message === "unauthorized" && data?.type === "auth") {
        this.close();
        this.events.unauthorized(data.message || data.code);
        return;
      }
      this.setState(s.active ? "reconnecting" : "offline");
    });
    s.io.on("reconnect_failed", () => this.setState("offline"));
    s.io.on("reconnect_attempt", () => this.setState("reconnecting"));
    s.on("joinedRoom", (id) => this.room(id));
    s.on("leftRoom", (id) => this.forget(id));
    s.on("newMessage", (m) => this.onMessage(m));
    s.on("userJoinedRoom", ({ roomId, userId }) => {
      const r = this.rooms.get(roomId);
      if (r && !r.members.has(userId)) r.members.set(userId, "online");
      this.events.changed();
    });
    s.on("userLeftRoom", ({ roomId, userId }) => {
      const r = this.rooms.get(roomId);
      r?.members.delete(userId);
      r?.typing.delete(userId);
      this.events.changed();
    });
    s.on("userTyping", ({ roomId, userId, isTyping }) => {
      const r = this.rooms.get(roomId);
      if (!r) return;
      if (isTyping) r.typing.set(userId, Date.now() + typingDisplayMs);
      else r.typing.delete(userId);
      this.events.changed();
    });
    s.on("presenceUpdate", ({ userId, status }) => {
      for (const r of this.rooms.values()) {
        if (r.members.has(userId)) r.members.set(userId, status);
      }
      if (userId === this.me) this.status = status;
      this.events.changed();
    });
    s.on("messageRead", ({ roomId, userId, messageId }) => {
      const r = this.rooms.get(roomId);
      if (!r) return;
      const prev = r.readBy.get(userId);
      if (!prev || indexOf(r, messageId) >= indexOf(r, prev)) r.readBy.set(userId, messageId);
      this.events.changed();
    });
    s.on("roomMembers", ({ roomId, members }) => {
      const r = this.rooms.get(roomId);
      if (!r) return;
      r.members = new Map(members.map((m) => [m.userId, m.status]));
      this.events.changed();
    });
    s.on("error", (e) => this.events.notice(describeError(e), "error"));
  }

  private onConnect(): void {
    this.transport = this.socket.io.engine.transport.name;
    this.socket.io.engine.once("upgrade", () => {
      this.transport = this.socket.io.engine.transport.name;
      this.events.changed();
    });
    this.setState("connected");
    // The joins go out first: a socket's events are handled in order, so the
    // unacknowledged messages resent next find their rooms joined.
    for (const id of this.rooms.keys()) this.enter(id);
    this.attempt++;
    this.inFlight = false;
    this.pump();
    if (this.status !== "online") this.socket.emit("presenceUpdate", { status: this.status });
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.socket.emit("heartbeat"), heartbeatMs);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.events.changed();
  }

  // ------------------------------------------------------------------ rooms

  /** Joins room id (or re-joins it after a reconnect) and catches up on it. */
  private enter(id: string): void {
    this.socket.emit("joinRoom", id, (res) => {
      if (isAckError(res)) {
        this.events.notice(describeError(res.error), "error");
        if (res.error.type !== "rate_limit") this.forget(id);
        return;
      }
      this.sync(id, 0);
      this.socket.emit("getRoomMembers", { roomId: id });
    });
  }

  /** Fetches what was missed in room id, after message `after` (default: the newest
   * held), round after round while the server has more. */
  private sync(id: string, round: number, after?: string): void {
    const r = this.rooms.get(id);
    if (!r) return;
    const last = after ?? lastStoredId(r);
    this.socket.emit("syncMessages", last ? { roomId: id, lastMessageId: last, limit: 200 } : { roomId: id }, (res) => {
      if (isAckError(res)) {
        if (res.error.code === "message_not_found") {
          r.messages = r.messages.filter((m) => m.pending); // history was reset: start over
          this.sync(id, round + 1);
        } else this.events.notice(describeError(res.error), "error");
        return;
      }
      // Only a sync from a known message may continue; the first one pages back no
      // further. A gap fill continues from the gap that is left, if any.
      const next = after === undefined ? lastStoredId(r) : firstGap(r);
      if (last && next && res.hasMore && round < maxSyncRounds) this.sync(id, round + 1, next);
      else {
        r.synced = true;
        this.events.changed();
      }
    });
  }

  /** Joins a room chosen by the user and shows it. */
  join(id: string): void {
    this.room(id);
    this.active = id;
    this.saveRooms();
    if (this.socket.connected) this.enter(id);
    this.events.changed();
  }

  /** Leaves a room. */
  leave(id: string): void {
    if (this.socket.connected) this.socket.emit("leaveRoom", id);
    this.forget(id);
  }

  /** Shows room id. */
  open(id: string): void {
    const r = this.rooms.get(id);
    if (!r) return;
    this.active = id;
    r.unread = 0;
    this.events.changed();
  }

  private room(id: string): Room {
    let r = this.rooms.get(id);
    if (!r) {
      r = newRoom(id);
      this.rooms.set(id, r);
      this.saveRooms();
    }
    return r;
  }

  private forget(id: string): void {
    if (!this.rooms.delete(id)) return;
    this.outbox = this.outbox.filter((o) => o.room.id !== id);
    if (this.active === id) this.active = this.rooms.keys().next().value ?? null;
    this.saveRooms();
    this.events.changed();
  }

  private savedRooms(): string[] {
    try {
      const v: unknown = JSON.parse(localStorage.getItem(this.roomsKey) ?? "[]");
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    } catch {
      return [];
    }
  }

  private saveRooms(): void {
    localStorage.setItem(this.roomsKey, JSON.stringify([...this.rooms.keys()]));
  }

  // ------------------------------------------------------------------ messages

  private onMessage(m: Message): void {
    const r = this.rooms.get(m.roomId);
    if (!r) return;
    const gapAfter = skipsAhead(r, m);
    if (!addMessage(r, m)) return;
    if (gapAfter) this.sync(m.roomId, 0, gapAfter);
    r.typing.delete(m.sender);
    if (m.sender !== this.me && (this.active !== m.roomId || document.hidden) && r.synced) r.unread++;
    this.events.changed();
  }

  /** Sends a message to the active room; it shows at once and is confirmed by its receipt. */
  send(content: string, opts: { replyToId?: string; attachment?: Attachment } = {}): void {
    const roomId = this.active;
    if (!roomId) return;
    const r = this.room(roomId);
    const clientMessageId = crypto.randomUUID();
    addMessage(r, {
      id: `pending:${clientMessageId}`,
      content,
      sender: this.me,
      roomId,
      timestamp: new Date().toISOString(),
      pending: true,
      clientMessageId,
      ...(opts.replyToId ? { replyToId: opts.replyToId } : {}),
      ...(opts.attachment ? { attachment: opts.attachment } : {}),
    });
    this.stopTyping();
    this.events.changed();
    this.outbox.push({ room: r, clientMessageId });
    this.pump();
  }

  /**
   * Sends the outbox, one message at a time: each waits for the ack of the one before,
   * so that messages are stored in the order they were written even when a rate limit
   * makes some of them wait. Only one send is in flight; attempt tells a late ack from
   * a connection that has since gone.
   */
  private pump(): void {
    const next = this.outbox[0];
    if (this.inFlight || !next || !this.socket.connected || Date.now() < this.pausedUntil) return;
    const { room: r, clientMessageId } = next;
    const m = r.messages.find((x) => x.pending && x.clientMessageId === clientMessageId);
    if (!m || !this.rooms.has(r.id)) {
      this.outbox.shift();
      this.pump();
      return;
    }
    this.inFlight = true;
    const attempt = this.attempt;
    const payload = {
      roomId: r.id,
      content: m.content,
      clientMessageId,
      ...(m.replyToId ? { replyToId: m.replyToId } : {}),
      ...(m.attachment ? { attachment: m.attachment } : {}),
    };
    this.socket.emit("sendMessage", payload, (res) => {
      if (attempt !== this.attempt) return; // the connection dropped: onConnect resends
      this.inFlight = false;
      if (isAckError(res) && res.error.type === "rate_limit") {
        this.events.notice(describeError(res.error), "error");
        const wait = Math.max(res.error.retryAfterMs, 100);
        // The timer may fire a hair early by Date.now(): wake a little after the pause.
        setTimeout(() => this.pump(), wait + 20);
        this.pausedUntil = Date.now() + wait;
        return;
      }
      this.outbox = this.outbox.filter((o) => o.clientMessageId !== clientMessageId);
      if (isAckError(res)) {
        r.messages = r.messages.filter((x) => x.clientMessageId !== clientMessageId || !x.pending);
        this.events.notice(describeError(res.error), "error");
      } else {
        confirm(r, clientMessageId, res.id, res.timestamp);
      }
      this.events.changed();
      this.pump();
    });
  }

  /** Sends a read receipt for the newest message others sent to the active room, when it moved. */
  markRead(): void {
    const r = this.active ? this.rooms.get(this.active) : undefined;
    if (!r || !this.socket.connected || document.hidden) return;
    r.unread = 0;
    const newest = lastReceivedId(r, this.me);
    if (!newest || newest === r.readSent) return;
    r.readSent = newest;
    this.socket.emit("readReceipt", { roomId: r.id, messageId: newest });
  }

  // ------------------------------------------------------------------ typing and presence

  /** Called on every keystroke in the composer. */
  typed(): void {
    const roomId = this.active;
    if (!roomId || !this.socket.connected) return;
    if (this.typingRoom !== roomId || Date.now() - this.typingSentAt > typingRefreshMs) {
      if (this.typingRoom && this.typingRoom !== roomId) this.stopTyping();
      this.typingRoom = roomId;
      this.typingSentAt = Date.now();
      this.socket.emit("typingIndicator", { roomId, isTyping: true });
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), typingIdleMs);
  }

  /** Ends this user's typing state, if any. */
  stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (!this.typingRoom) return;
    if (this.socket.connected) this.socket.emit("typingIndicator", { roomId: this.typingRoom, isTyping: false });
    this.typingRoom = null;
  }

  /** Sets this user's presence. */
  setStatus(status: PresenceStatus): void {
    this.status = status;
    if (this.socket.connected) {
      this.socket.emit("presenceUpdate", { status }, (res) => {
        if (isAckError(res)) this.events.notice(describeError(res.error), "error");
      });
    }
    this.events.changed();
  }
}

/** A sentence for an error the server sent. */
export function describeError(e: ChatError): string {
  if (e.type === "rate_limit") {
    return `Slow down: too many ${e.event ? e.event + " " : ""}events. Retry in ${(e.retryAfterMs / 1000).toFixed(1)} s.`;
  }
  const what = e.event ? ` (${e.event})` : "";
  return `${e.message}${what}`;
}
