// The sign-in screen: a name in development mode (POST /dev/token), or a token.

import { h, replaceChildren } from "./dom";
import { devModeAvailable, devSession, tokenSession, type Session } from "./session";

/** Shows the sign-in screen in root and resolves with the session the user starts. */
export async function signIn(root: HTMLElement, problem?: string): Promise<Session> {
  const dev = await devModeAvailable();
  return new Promise((resolve) => {
    const error = h("p", { class: "signin-error", role: "alert", id: "signin-error" }, problem ?? "");
    const fail = (msg: string) => (error.textContent = msg);

    const name = h("input", {
      id: "signin-name", name: "name", type: "text", autocomplete: "username", required: true,
      maxlength: 64, placeholder: "e.g. alice", "aria-describedby": "signin-error",
    });
    const devForm = h("form", { class: "signin-form", "aria-label": "Sign in with a name" },
      h("label", { for: "signin-name" }, "Your name"),
      h("div", { class: "row" }, name, h("button", { type: "submit", class: "primary" }, "Join chat")),
      h("p", { class: "hint" }, "Development mode: the server mints a token for this name."));
    devForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        resolve(await devSession(name.value));
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e));
      }
    });

    const token = h("textarea", {
      id: "signin-token", name: "token", rows: 3, spellcheck: "false", placeholder: "eyJhbGciOi…",
      "aria-describedby": "signin-error",
    });
    const tokenForm = h("form", { class: "signin-form", "aria-label": "Sign in with a token" },
      h("label", { for: "signin-token" }, dev ? "…or paste a token" : "Access token (JWT)"),
      token,
      h("div", { class: "row end" }, h("button", { type: "submit", class: dev ? "secondary" : "primary" }, "Use token")));
    tokenForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const s = tokenSession(token.value);
      if (s) resolve(s);
      else fail("That does not look like a JWT with a subject (sub).");
    });

    replaceChildren(root, h("main", { class: "signin" },
      h("section", { class: "signin-card" },
        h("div", { class: "brand big" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"), "chatd"),
        h("p", { class: "tagline" }, "Real-time rooms, presence and read receipts."),
        dev && devForm,
        tokenForm,
        error)));
    (dev ? name : token).focus();
  });
}
