// Package chat is chatd's domain: the events of the chat contract (joinRoom, sendMessage,
// typing, presence, read receipts, sync, token refresh), their validation, rate limits,
// and the presence and typing state machines.
//
// In the data flow it sits above the protocol layer: package socketio hands it decoded
// events of authenticated sockets, it consults auth and store, and answers through the
// socketio API (emits, acks, room broadcasts). It knows nothing of frames.
//
// The package is split in two. The domain state — users (presence, liveness, rate
// limiters), room membership, typing — lives in plain types (users, membership, typing)
// driven by an injected clock, and every event has an operation (op_*.go) that validates
// its payload and changes that state, returning either the payloads to send or an *Error.
// handlers.go is the thin glue that binds those operations to a socketio.Namespace: it
// emits the response event, answers the ack, and broadcasts.
//
// Decisions worth knowing:
//
//   - Authentication runs as namespace middleware. The token comes from auth.TokenFrom
//     (CONNECT auth "token", query "token", Authorization header, cookie). A refused
//     connection gets a *socketio.ConnectError "unauthorized" with data
//     {type:"auth", code, message}; a connection over the per-IP rate gets
//     "rate_limited" with data {type:"rate_limit", code:"rate_limited", message,
//     retryAfterMs}. The rate check runs first because it is the cheaper one.
//   - Every client event may carry an ack. On success the response event is emitted and
//     the ack gets the same payload ({"ok":true} for typingIndicator and presenceUpdate,
//     {"ok":true,"timestamp"} for heartbeat, the messageRead payload for readReceipt). On
//     failure the socket gets an "error" event and the ack gets {"error": <payload>}.
//     Nothing refused has any effect.
//   - Error codes are the Code… constants (codes.go). invalid_room covers a missing,
//     non-string or malformed room id; invalid_payload a payload that is not an object or
//     whose other required fields have the wrong JSON type. A server error never leaks
//     its cause; the cause is logged.
//   - sendMessage checks, in order: payload shape and size, room id, membership, fields,
//     reply target, rate limit, then the store's idempotency. The rate token is taken
//     before Append and handed back when Append reports a duplicate (or fails), so an
//     idempotent re-send never consumes the user's message budget. While the bucket is
//     empty, a re-send of one of the user's last 2×RateBurst messages with a
//     clientMessageId is still answered with its original receipt, from memory
//     (recentSends); an older one is refused for rate and answered once retried.
//   - Typing is tracked per socket and shown per user: a user typing on two devices is
//     "typing" until both stop. isTyping:true broadcasts only when the user starts
//     typing in the room; repeats re-arm the timeout. Typing ends by timeout, leaveRoom
//     and disconnect (that socket), and sendMessage (every socket of the user in that
//     room); each end that leaves the user typing nowhere in the room broadcasts
//     isTyping:false. Only starts consume the typing rate limit.
//   - Presence is per user. Each accepted presenceUpdate is broadcast (once per receiving
//     socket, one broadcast over all rooms of all the user's sockets), even when it
//     repeats the current status. The last socket leaving arms the grace timer; when it
//     fires the user is forgotten (with its rate limiters) and, unless the user had set
//     "offline" already, "offline" is broadcast to the rooms of that last socket.
//   - readReceipt broadcasts messageRead only when the user's read marker advanced; the
//     sender's ack gets the payload either way.
//   - syncMessages treats a lastMessageId of "" or null as absent; limit must be a whole
//     number >= 1, values over 200 are clamped.
//   - Rate limits are token buckets per user, shared by the user's sockets and kept for
//     as long as the user is known (until the presence grace period ends), so
//     reconnecting does not refill them. A socket with more than 3×RateBurst events
//     refused for rate within 10 s is flooding and is disconnected (with its transport).
//   - On token expiry the socket gets error {type:"auth", code:"token_expired"} and is
//     disconnected with Disconnect(false), which the client reports as
//     "io server disconnect". refreshToken replaces the claims (a narrower rooms claim
//     applies to later joins and syncs) and re-arms the timer.
//   - Events carrying binary attachments are refused (invalid_payload): no event of the
//     contract has one, and a message could only store the placeholder.
//   - With connection-state recovery, a recovered socket is back in its rooms: its
//     membership is rebuilt and, where the user had left, userJoinedRoom is sent again.
//   - Locks guard only map updates; no lock is held while emitting or waiting on the
//     store. The one exception is a striped per-user lock held across a registry call,
//     so that Redis sees one user's transitions in the order this node made them.
//   - In a cluster (Deps.Registry, cluster.go) the node keeps exact counts of its own
//     sockets and asks the registry only at per-node transitions: the answer decides
//     userJoinedRoom/userLeftRoom, the status a user has elsewhere, who announces
//     offline, getRoomMembers, and a second rate bucket shared by the nodes. A failed
//     registry call falls back to this node's own answer.
//   - An idle socket keeps little: the user's rate buckets and memory of recent sends
//     are made on first use, a socket's rooms are a slice until it has many, the token
//     expiries of all sockets share one timer (expiry.go), log records get the socket
//     and user attributes when written rather than a logger per socket, and the
//     CONNECT auth payload is released once the token is read.
//   - With a store that commits a room's appends in start order (store.Pipeliner:
//     SQLite and PostgreSQL) a socket's sendMessage events are pipelined
//     (pipeline.go): checked on the reader, answered in order from the socket's send
//     pipe, the answers of one commit corked into one write; any other event waits
//     for the pipe.
package chat
