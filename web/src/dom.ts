// A tiny element builder: enough to render the page without a framework and
// without ever putting untrusted text through innerHTML.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | null | EventListener>;

/** Creates an element: attributes starting with "on" are listeners, true/false toggle boolean attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = String(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

/** Replaces every child of el. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Returns the element with id, failing loudly when the page is not what the code expects. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

const svgNS = "http://www.w3.org/2000/svg";

/** Stroke paths (24×24 viewBox) of the page's icons. */
const icons = {
  clip: "M21 11.5l-8.6 8.6a5.5 5.5 0 01-7.8-7.8l8.6-8.6a3.7 3.7 0 015.2 5.2l-8.6 8.6a1.8 1.8 0 01-2.6-2.6l8-8",
  file: "M14 3H7a2 2 0 00-2 2v14a2 2 0 002 2h10a2 2 0 002-2V8zM14 3v5h5",
  send: "M4 12l16-8-6 16-2.5-6.5z",
  close: "M6 6l12 12M18 6L6 18",
  plus: "M12 5v14M5 12h14",
} as const;

/** An inline SVG icon, decorative (hidden from assistive technology). */
export function icon(name: keyof typeof icons): SVGSVGElement {
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `icon icon-${name}`);
  const p = document.createElementNS(svgNS, "path");
  p.setAttribute("d", icons[name]);
  svg.append(p);
  return svg;
}
