// The page's model of the chat: rooms with their messages, members, typers and read
// markers. It is plain data changed by the Chat client and read by the view.

import type { Message, PresenceStatus } from "@chatd/client-types";

/** A message shown in a room; pending ones wait for their receipt. */
export interface Entry extends Message {
  pending?: boolean;
  clientMessageId?: string;
}

/** One joined room. */
export interface Room {
  id: string;
  /** In room order; ids are unique. */
  messages: Entry[];
  /** userId → status of the users with a socket in the room. */
  members: Map<string, PresenceStatus>;
  /** userId → when their typing display expires (ms epoch). */
  typing: Map<string, number>;
  /** userId → the newest message they have read. */
  readBy: Map<string, string>;
  /** The newest message this user sent a receipt for. */
  readSent?: string;
  unread: number;
  /** The room's history has been synced at least once on this connection. */
  synced: boolean;
}

export function newRoom(id: string): Room {
  return { id, messages: [], members: new Map(), typing: new Map(), readBy: new Map(), unread: 0, synced: false };
}

/** The id of the newest stored (not pending) message of room. */
export function lastStoredId(room: Room): string | undefined {
  for (let i = room.messages.length - 1; i >= 0; i--) {
    const m = room.messages[i]!;
    if (!m.pending) return m.id;
  }
  return undefined;
}

/** The id of the newest stored message of room that someone else sent. */
export function lastReceivedId(room: Room, me: string): string | undefined {
  for (let i = room.messages.length - 1; i >= 0; i--) {
    const m = room.messages[i]!;
    if (!m.pending && m.sender !== me) return m.id;
  }
  return undefined;
}

/** Adds m to room unless it is there already; reports whether it was new. Stored
 * messages stay in id order (ids sort as strings in room order), so a gap filled by a
 * later sync lands where it belongs. */
export function addMessage(room: Room, m: Entry): boolean {
  if (room.messages.some((x) => x.id === m.id)) return false;
  // A message arriving while own messages are pending goes before them: they are
  // not stored yet, so they will come after it.
  let at = room.messages.length;
  while (at > 0 && room.messages[at - 1]!.pending) at--;
  if (!m.pending) while (at > 0 && room.messages[at - 1]!.id > m.id) at--;
  room.messages.splice(at, 0, m);
  return true;
}

/** The room sequence number chatd puts at the start of a message id (13 base-36
 * digits), or -1 for an id of another shape. */
export function seqOf(id: string): number {
  return /^[0-9a-z]{13}-/.test(id) ? parseInt(id.slice(0, 13), 36) : -1;
}

/** The id of the first stored message of room followed by a gap in the room's
 * sequence, or undefined when the stored messages are consecutive. */
export function firstGap(room: Room): string | undefined {
  let prev: Entry | undefined;
  for (const m of room.messages) {
    if (m.pending) break;
    if (prev && seqOf(prev.id) >= 0 && seqOf(m.id) > seqOf(prev.id) + 1) return prev.id;
    prev = m;
  }
  return undefined;
}

/** Whether m, arriving live, skips messages after the newest one held: broadcasts
 * that did not reach this node (say, while its broker was away) are then fetched. */
export function skipsAhead(room: Room, m: Entry): string | undefined {
  const last = lastStoredId(room);
  if (!last || !room.synced) return undefined;
  const a = seqOf(last), b = seqOf(m.id);
  return a >= 0 && b > a + 1 ? last : undefined;
}

/** Turns the pending message with clientMessageId into the stored one. */
export function confirm(room: Room, clientMessageId: string, id: string, timestamp: string): void {
  const i = room.messages.findIndex((m) => m.pending && m.clientMessageId === clientMessageId);
  if (i < 0) return;
  const m = room.messages[i]!;
  room.messages.splice(i, 1);
  if (room.messages.some((x) => x.id === id)) return; // already delivered by a sync
  delete m.pending;
  addMessage(room, { ...m, id, timestamp });
}

/** The users typing in room now, oldest first, without me. */
export function typers(room: Room, me: string, now = Date.now()): string[] {
  const out: string[] = [];
  for (const [user, until] of room.typing) {
    if (until <= now) room.typing.delete(user);
    else if (user !== me) out.push(user);
  }
  return out;
}

/**
 * message id → readers, each reader at the newest message they read, me and the
 * message's own sender left out.
 */
export function readersByMessage(room: Room, me: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [user, id] of room.readBy) {
    if (user === me || room.messages.find((m) => m.id === id)?.sender === user) continue;
    const list = out.get(id) ?? [];
    list.push(user);
    out.set(id, list);
  }
  return out;
}

/** Index of a message by id in room order, or -1. */
export function indexOf(room: Room, id: string): number {
  return room.messages.findIndex((m) => m.id === id);
}
