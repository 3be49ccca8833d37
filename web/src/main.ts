// The chat page's entry point: sign in, then run the chat view.
//
// URL parameters: ?transport=polling forces HTTP long-polling (no WebSocket upgrade);
// ?transport=websocket skips polling.

import "./styles.css";
import { Chat } from "./chat";
import { byId } from "./dom";
import { savedSession, signOut, type Session } from "./session";
import { signIn } from "./signin";
import { toast } from "./toast";
import { ChatView } from "./view";

function transports(): ("polling" | "websocket")[] | undefined {
  const t = new URLSearchParams(location.search).get("transport");
  return t === "polling" || t === "websocket" ? [t] : undefined;
}

async function start(session: Session | null, problem?: string): Promise<void> {
  const root = byId("app");
  const s = session ?? (await signIn(root, problem));
  let view: ChatView | undefined;
  const chat = new Chat(s, {
    changed: () => view?.render(),
    notice: (text, kind) => toast(text, kind),
    unauthorized: (message) => {
      chat.close();
      view?.dispose();
      void signOut().then(() => start(null, `Signed out: ${message}`));
    },
  }, { transports: transports() });
  view = new ChatView(root, chat, () => {
    chat.close();
    view?.dispose();
    void signOut().then(() => start(null));
  });
  view.render();
}

void start(savedSession());
