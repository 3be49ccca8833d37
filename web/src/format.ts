// Presentation helpers: times, avatars, names.

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "short", day: "numeric" });

/** "14:05" for an ISO timestamp. */
export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : timeFmt.format(d);
}

/** "Today", "Yesterday" or "Monday, Nov 23" for an ISO timestamp. */
export function day(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const start = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((start(now) - start(d)) / 86_400_000);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  return dayFmt.format(d);
}

/** One or two letters for an avatar. */
export function initials(name: string): string {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0]![0]! + parts[1]![0]! : name.slice(0, 2);
  return letters.toUpperCase();
}

/** A stable hue for a user, so that their avatar keeps its colour. */
export function hue(name: string): number {
  let x = 0;
  for (const ch of name) x = (x * 31 + ch.codePointAt(0)!) % 360;
  return x;
}

/** "alice", "alice and bob", "alice, bob and 2 others". */
export function people(names: string[]): string {
  if (names.length <= 2) return names.join(" and ");
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}

const imageExt = /\.(png|jpe?g|gif|webp|avif|svg)(\?.*)?$/i;

/** Whether an attachment should be shown inline as an image. */
export function isImage(url: string, type?: string): boolean {
  return type ? type.startsWith("image/") : imageExt.test(url);
}

/** Whether s is an http(s) URL, the only kind the server accepts for attachments. */
export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
