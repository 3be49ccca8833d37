// Short-lived notices in the corner: errors from the server, connection news.

import { byId, h } from "./dom";

const shownMs = 6000;

/** Shows text for a few seconds; the same text is not stacked twice. */
export function toast(text: string, kind: "error" | "info" = "info"): void {
  const box = byId("toasts");
  for (const el of box.children) {
    if (el.textContent === text) return;
  }
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, "×");
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, h("span", {}, text), close);
  const remove = () => el.remove();
  close.addEventListener("click", remove);
  box.append(el);
  setTimeout(remove, shownMs);
}
