// Package webui serves chatd's browser chat page and, in development mode, the
// endpoint that mints tokens for it.
//
// In chatd's data flow it sits beside the Socket.IO endpoint, not in front of it: the
// page it serves is a client like any other, which loads socket.io-client from the
// same origin and talks to namespace /chat. The assets are built from web/ by
// `make web` into dist/ and embedded at compile time; a binary built without them
// serves a page that says how to build them.
//
// [Site] serves index.html (revalidated on every load) and content-hashed assets
// (cached for a year), with a strict Content-Security-Policy. [DevTokens] answers
// POST /dev/token with a token for a chosen name, signed with the server's secret,
// and sets it as an HttpOnly cookie so that the page can also authenticate by cookie.
package webui
