// Who the user is and how the page authenticates: a token pasted by the user or
// minted by POST /dev/token (development mode), kept for the tab in sessionStorage;
// or the HttpOnly `token` cookie /dev/token sets, which lets a new tab connect with no
// token in JavaScript at all.

/** How the socket authenticates. */
export interface Session {
  userId: string;
  /** Sent as auth.token; absent means the cookie authenticates. */
  token?: string;
}

/** The answer of POST /dev/token. */
interface DevToken {
  token: string;
  userId: string;
  expiresAt: string;
}

const tokenKey = "chatd.token";
const userKey = "chatd.user";

/** The `sub` of a JWT, read without verification (the server verifies). */
export function tokenSubject(token: string): string | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims: unknown = JSON.parse(json);
    if (typeof claims === "object" && claims !== null && "sub" in claims && typeof claims.sub === "string") {
      return claims.sub;
    }
  } catch {
    // not a JWT: the server will say so
  }
  return null;
}

/** The session to resume, if any: a token of this tab, or else the cookie of an earlier sign-in. */
export function savedSession(): Session | null {
  const token = sessionStorage.getItem(tokenKey);
  const sub = token ? tokenSubject(token) : null;
  if (token && sub) return { userId: sub, token };
  const user = localStorage.getItem(userKey);
  return user ? { userId: user } : null;
}

/** Starts a session with a pasted token. */
export function tokenSession(token: string): Session | null {
  const sub = tokenSubject(token.trim());
  if (!sub) return null;
  sessionStorage.setItem(tokenKey, token.trim());
  localStorage.removeItem(userKey);
  return { userId: sub, token: token.trim() };
}

/** Asks the development server for a token; it also sets the cookie. */
export async function devSession(name: string): Promise<Session> {
  const res = await fetch("/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
    credentials: "same-origin",
  });
  if (res.status === 404) {
    throw new Error("This server is not in development mode: paste a token instead.");
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const msg = body && typeof body === "object" && "error" in body ? String(body.error) : res.statusText;
    throw new Error(msg);
  }
  const t = body as DevToken;
  sessionStorage.setItem(tokenKey, t.token);
  localStorage.setItem(userKey, t.userId);
  return { userId: t.userId, token: t.token };
}

/** Forgets the session, including the cookie when the server minted one. */
export async function signOut(): Promise<void> {
  sessionStorage.removeItem(tokenKey);
  localStorage.removeItem(userKey);
  await fetch("/dev/token", { method: "DELETE", credentials: "same-origin" }).catch(() => undefined);
}

/** Whether the server offers development tokens. */
export async function devModeAvailable(): Promise<boolean> {
  try {
    const res = await fetch("/dev/token", { method: "GET", credentials: "same-origin" });
    return res.ok;
  } catch {
    return false;
  }
}
