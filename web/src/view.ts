// The chat screen: top bar, rooms, the open room's messages and composer, members.
// The shell is built once; render() redraws the parts that depend on the model and
// leaves the composer (and what the user is typing) alone.

import { PRESENCE_STATUSES, type PresenceStatus } from "@chatd/client-types";
import type { Chat } from "./chat";
import { byId, h, icon, replaceChildren } from "./dom";
import { clock, day, hue, initials, isHttpUrl, isImage, people } from "./format";
import { readersByMessage, typers, type Entry, type Room } from "./state";

/** Consecutive messages of one sender closer than this share a header. */
const groupGapMs = 5 * 60_000;
/** "Near the bottom" of the message list, in pixels: new messages keep it pinned. */
const pinSlack = 80;

const statusLabel: Record<PresenceStatus, string> = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };

export class ChatView {
  private readonly chat: Chat;
  private replyTo: string | null = null;
  private shownRoom: string | null = null;
  private readonly onSignOut: () => void;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly onVisibility = () => this.chat.markRead();

  constructor(root: HTMLElement, chat: Chat, onSignOut: () => void) {
    this.chat = chat;
    this.onSignOut = onSignOut;
    replaceChildren(root, this.shell());
    this.bindComposer();
    this.ticker = setInterval(() => this.renderTyping(), 1000); // typing displays expire on their own
    document.addEventListener("visibilitychange", this.onVisibility);
    byId("messages").addEventListener("scroll", () => {
      if (this.pinned()) this.chat.markRead();
    });
  }

  /** Stops the timers and listeners that outlive the view's elements. */
  dispose(): void {
    clearInterval(this.ticker);
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  // ------------------------------------------------------------------ shell

  private shell(): HTMLElement {
    const me = this.chat.me;
    const presence = h("select", { id: "presence", "aria-label": "Your status" },
      ...PRESENCE_STATUSES.filter((s) => s !== "offline").map((s) => h("option", { value: s }, statusLabel[s])));
    presence.addEventListener("change", () => this.chat.setStatus(presence.value as PresenceStatus));
    const joinInput = h("input", {
      id: "join-room", name: "room", type: "text", placeholder: "Join a room…", required: true, maxlength: 128,
      pattern: "[A-Za-z0-9_\\-.:@]{1,128}", title: "1–128 characters: letters, digits, _ - . : @",
      "aria-label": "Room to join", autocomplete: "off",
    });
    const joinForm = h("form", { class: "join", id: "join-form" }, joinInput,
      h("button", { type: "submit", class: "icon-btn", "aria-label": "Join room" }, icon("plus")));
    joinForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const id = joinInput.value.trim();
      if (!id) return;
      this.chat.join(id);
      joinInput.value = "";
      byId("composer-input").focus();
    });
    return h("div", { class: "shell" },
      h("header", { class: "topbar" },
        h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"), "chatd"),
        h("span", { id: "connection", class: "badge", role: "status", "aria-live": "polite" }),
        h("div", { class: "spacer" }),
        h("label", { class: "presence-pick" }, h("span", { id: "my-dot", class: "dot online", "aria-hidden": "true" }), presence),
        h("span", { class: "me", title: `Signed in as ${me}` }, avatar(me, "small"), h("span", { class: "me-name" }, me)),
        h("button", { type: "button", class: "ghost", id: "sign-out", onclick: () => this.onSignOut() }, "Sign out")),
      h("nav", { class: "sidebar", "aria-label": "Rooms" },
        h("h2", {}, "Rooms"), joinForm, h("ul", { id: "room-list", class: "room-list" })),
      h("main", { class: "room" },
        h("div", { class: "room-head", id: "room-head" }),
        h("div", { id: "messages", class: "messages", role: "log", "aria-label": "Messages", "aria-live": "polite", tabindex: 0 }),
        h("div", { id: "typing", class: "typing", "aria-live": "polite" }),
        this.composer()),
      h("aside", { class: "members", "aria-label": "Members" },
        h("h2", {}, "Members"), h("ul", { id: "member-list", class: "member-list" })));
  }

  private composer(): HTMLElement {
    return h("form", { id: "composer", class: "composer", "aria-label": "Send a message" },
      h("div", { id: "reply-bar", class: "reply-bar", hidden: true }),
      h("div", { id: "attach-bar", class: "attach-bar", hidden: true },
        h("input", { id: "attach-url", type: "url", placeholder: "https://example.com/picture.png", "aria-label": "Attachment URL" }),
        h("button", { type: "button", class: "ghost small", id: "attach-clear", "aria-label": "Remove attachment" }, icon("close"))),
      h("div", { class: "compose-row" },
        h("button", { type: "button", class: "icon-btn", id: "attach-toggle", "aria-label": "Attach a link or image", "aria-expanded": "false" }, icon("clip")),
        h("textarea", { id: "composer-input", rows: 1, placeholder: "Write a message…", "aria-label": "Message", maxlength: 8000 }),
        h("button", { type: "submit", class: "primary send", id: "send" }, icon("send"), "Send")));
  }

  private bindComposer(): void {
    const form = byId<HTMLFormElement>("composer");
    const input = byId<HTMLTextAreaElement>("composer-input");
    const attachBar = byId("attach-bar");
    const attachUrl = byId<HTMLInputElement>("attach-url");
    const toggle = byId("attach-toggle");
    const showAttach = (on: boolean) => {
      attachBar.hidden = !on;
      toggle.setAttribute("aria-expanded", String(on));
      if (on) attachUrl.focus();
      else attachUrl.value = "";
    };
    toggle.addEventListener("click", () => showAttach(attachBar.hidden));
    byId("attach-clear").addEventListener("click", () => showAttach(false));
    input.addEventListener("input", () => {
      this.chat.typed();
      autosize(input);
    });
    input.addEventListener("blur", () => this.chat.stopTyping());
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        form.requestSubmit();
      } else if (ev.key === "Escape") this.setReply(null);
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const content = input.value.trim();
      const url = attachUrl.value.trim();
      if (url && !isHttpUrl(url)) {
        attachUrl.setCustomValidity("Use an http(s) URL");
        attachUrl.reportValidity();
        return;
      }
      attachUrl.setCustomValidity("");
      if (!content && !url) return;
      const name = url ? decodeURIComponent(new URL(url).pathname.split("/").pop() || url) : "";
      this.chat.send(content, {
        ...(this.replyTo ? { replyToId: this.replyTo } : {}),
        ...(url ? { attachment: { url, name, ...(isImage(url) ? { type: guessImageType(url) } : {}) } } : {}),
      });
      input.value = "";
      autosize(input);
      showAttach(false);
      this.setReply(null);
      this.scrollToBottom();
    });
  }

  private setReply(id: string | null): void {
    this.replyTo = id;
    this.renderReplyBar();
    if (id) byId("composer-input").focus();
  }

  // ------------------------------------------------------------------ render

  /** Redraws everything that follows the model. */
  render(): void {
    const chat = this.chat;
    document.body.dataset.connection = chat.state;
    document.body.dataset.transport = chat.transport;
    const badge = byId("connection");
    badge.className = `badge ${chat.state}`;
    badge.textContent = { connecting: "Connecting…", connected: "Connected", reconnecting: "Reconnecting…", offline: "Offline" }[chat.state];
    badge.title = chat.transport ? `Transport: ${chat.transport}` : "";
    byId<HTMLSelectElement>("presence").value = chat.status === "offline" ? "online" : chat.status;
    byId("my-dot").className = `dot ${chat.status}`;
    this.renderRooms();
    const room = chat.active ? chat.rooms.get(chat.active) : undefined;
    this.renderHead(room);
    this.renderMessages(room);
    this.renderTyping();
    this.renderMembers(room);
    this.renderReplyBar();
    const disabled = !room;
    byId<HTMLTextAreaElement>("composer-input").disabled = disabled;
    byId<HTMLButtonElement>("send").disabled = disabled;
  }

  private renderRooms(): void {
    const items = [...this.chat.rooms.values()].map((r) => {
      const active = r.id === this.chat.active;
      const leave = h("button", { type: "button", class: "leave", "aria-label": `Leave ${r.id}`, title: "Leave room" }, icon("close"));
      leave.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.chat.leave(r.id);
      });
      const open = h("button", { type: "button", class: "room-btn", "aria-current": active ? "true" : undefined, "data-room": r.id },
        h("span", { class: "hash", "aria-hidden": "true" }, "#"), h("span", { class: "room-name" }, r.id),
        r.unread > 0 && h("span", { class: "unread", "aria-label": `${r.unread} unread` }, String(r.unread)));
      open.addEventListener("click", () => this.chat.open(r.id));
      return h("li", { class: active ? "active" : "" }, open, leave);
    });
    if (items.length === 0) items.push(h("li", { class: "empty" }, "No rooms yet: join one above."));
    replaceChildren(byId("room-list"), ...items);
  }

  private renderHead(room: Room | undefined): void {
    const head = byId("room-head");
    if (!room) {
      replaceChildren(head, h("h1", {}, "Welcome"));
      return;
    }
    const n = room.members.size;
    replaceChildren(head, h("h1", {}, h("span", { class: "hash" }, "#"), room.id),
      h("span", { class: "sub", title: [...room.members.keys()].sort().join(", ") }, `${n} ${n === 1 ? "member" : "members"} here`));
  }

  private renderMessages(room: Room | undefined): void {
    const list = byId("messages");
    const switched = this.shownRoom !== (room?.id ?? null);
    this.shownRoom = room?.id ?? null;
    const pinned = switched || this.pinned();
    if (!room) {
      replaceChildren(list, h("div", { class: "empty-state" },
        h("p", { class: "big" }, "Pick a room to start chatting"),
        h("p", {}, "Type a room name in the sidebar, for example ", h("code", {}, "general"), ".")));
      return;
    }
    const readers = readersByMessage(room, this.chat.me);
    const byIdx = new Map(room.messages.map((m) => [m.id, m]));
    const nodes: Node[] = [];
    let prev: Entry | undefined;
    for (const m of room.messages) {
      const d = day(m.timestamp);
      if (!prev || day(prev.timestamp) !== d) nodes.push(h("div", { class: "day", role: "separator" }, h("span", {}, d)));
      const grouped = !!prev && prev.sender === m.sender && !m.replyToId && day(prev.timestamp) === d &&
        Date.parse(m.timestamp) - Date.parse(prev.timestamp) < groupGapMs;
      nodes.push(this.message(m, grouped, m.replyToId ? byIdx.get(m.replyToId) : undefined, readers.get(m.id)));
      prev = m;
    }
    if (room.messages.length === 0) {
      nodes.push(h("div", { class: "empty-state" }, h("p", { class: "big" }, `This is the start of #${room.id}`),
        h("p", {}, room.synced ? "Say hello!" : "Loading history…")));
    }
    replaceChildren(list, ...nodes);
    if (pinned) this.scrollToBottom();
    if (this.pinned()) this.chat.markRead();
  }

  private message(m: Entry, grouped: boolean, parent: Entry | undefined, readBy: string[] | undefined): HTMLElement {
    const mine = m.sender === this.chat.me;
    const el = h("article", {
      class: `msg${grouped ? " grouped" : ""}${mine ? " mine" : ""}${m.pending ? " pending" : ""}${this.replyTo === m.id ? " replying" : ""}`,
      "data-id": m.id, "data-sender": m.sender, tabindex: 0,
      "aria-label": `${m.sender} at ${clock(m.timestamp)}: ${m.content}`,
      title: m.pending ? "Sending…" : "Click to reply",
    },
      grouped ? h("span", { class: "gutter-time", "aria-hidden": "true" }, clock(m.timestamp)) : avatar(m.sender),
      h("div", { class: "body" },
        !grouped && h("div", { class: "meta" }, h("span", { class: "sender" }, m.sender),
          h("time", { datetime: m.timestamp }, clock(m.timestamp)), m.pending && h("span", { class: "sending" }, "sending…")),
        m.replyToId && h("blockquote", { class: "quote" },
          h("span", { class: "quote-sender" }, parent ? parent.sender : "earlier message"),
          h("span", { class: "quote-text" }, parent ? parent.content || parent.attachment?.name || "attachment" : "not loaded")),
        m.content && h("p", { class: "content" }, m.content),
        m.attachment && attachment(m.attachment.url, m.attachment.name, m.attachment.type),
        readBy && readBy.length > 0 && h("div", { class: "read-by" }, `Read by ${people(readBy.sort())}`)));
    if (!m.pending) {
      el.addEventListener("click", (ev) => {
        if ((ev.target as HTMLElement).closest("a")) return;
        this.setReply(this.replyTo === m.id ? null : m.id);
        this.render();
      });
      el.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") {
          this.setReply(m.id);
          this.render();
        }
      });
    }
    return el;
  }

  private renderTyping(): void {
    const el = byId("typing");
    const room = this.chat.active ? this.chat.rooms.get(this.chat.active) : undefined;
    const who = room ? typers(room, this.chat.me) : [];
    if (who.length === 0) {
      replaceChildren(el);
      return;
    }
    const text = `${people(who)} ${who.length === 1 ? "is" : "are"} typing…`;
    if (el.textContent?.endsWith(text)) return;
    replaceChildren(el, h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), text);
  }

  private renderMembers(room: Room | undefined): void {
    const order: Record<PresenceStatus, number> = { online: 0, busy: 1, away: 2, offline: 3 };
    const members = room ? [...room.members].sort((a, b) => order[a[1]] - order[b[1]] || a[0].localeCompare(b[0])) : [];
    const items = members.map(([user, status]) => h("li", { "data-user": user, "data-status": status },
      avatar(user, "small"),
      h("span", { class: "member-name" }, user, user === this.chat.me && h("span", { class: "you" }, " (you)")),
      h("span", { class: `dot ${status}`, role: "img", "aria-label": statusLabel[status], title: statusLabel[status] })));
    if (items.length === 0) items.push(h("li", { class: "empty" }, room ? "Nobody here yet." : "—"));
    replaceChildren(byId("member-list"), ...items);
  }

  private renderReplyBar(): void {
    const bar = byId("reply-bar");
    const room = this.chat.active ? this.chat.rooms.get(this.chat.active) : undefined;
    const parent = room && this.replyTo ? room.messages.find((m) => m.id === this.replyTo) : undefined;
    if (!parent) {
      this.replyTo = null;
      bar.hidden = true;
      replaceChildren(bar);
      return;
    }
    bar.hidden = false;
    const cancel = h("button", { type: "button", class: "ghost small", "aria-label": "Cancel reply" }, icon("close"));
    cancel.addEventListener("click", () => {
      this.setReply(null);
      this.render();
    });
    replaceChildren(bar, h("span", { class: "reply-label" }, "Replying to ", h("strong", {}, parent.sender)),
      h("span", { class: "reply-text" }, parent.content || parent.attachment?.name || "attachment"), cancel);
  }

  private pinned(): boolean {
    const list = byId("messages");
    return list.scrollHeight - list.scrollTop - list.clientHeight < pinSlack;
  }

  private scrollToBottom(): void {
    const list = byId("messages");
    list.scrollTop = list.scrollHeight;
  }
}

function avatar(user: string, size: "small" | "" = ""): HTMLElement {
  const el = h("span", { class: `avatar ${size}`, "aria-hidden": "true" }, initials(user));
  el.style.setProperty("--hue", String(hue(user)));
  return el;
}

function attachment(url: string, name?: string, type?: string): HTMLElement {
  if (!isHttpUrl(url)) return h("span", { class: "attachment" }, name || "attachment");
  const link = h("a", { class: "attachment", href: url, target: "_blank", rel: "noopener noreferrer nofollow" });
  if (isImage(url, type)) {
    link.classList.add("image");
    link.append(h("img", { src: url, alt: name || "image attachment", loading: "lazy", referrerpolicy: "no-referrer" }));
  } else {
    link.append(icon("file"), h("span", {}, name || url));
  }
  return link;
}

function guessImageType(url: string): string {
  const ext = new URL(url).pathname.split(".").pop()?.toLowerCase() ?? "";
  return { jpg: "image/jpeg", jpeg: "image/jpeg", svg: "image/svg+xml" }[ext] ?? `image/${ext || "png"}`;
}

function autosize(t: HTMLTextAreaElement): void {
  t.style.height = "auto";
  t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
}
