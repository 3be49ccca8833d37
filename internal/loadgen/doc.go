// Package loadgen is the load generator behind "chatd bench": it drives a Socket.IO v4
// chat server (chatd, or any server speaking the same /chat contract, such as the Node
// baseline) from the client side and measures it.
//
// Data flow: a scenario (fanout, idle, connect, history) opens sessions — each one a
// WebSocket (github.com/lxzan/gws) carrying Engine.IO 4 and Socket.IO 5 packets to the
// /chat namespace — and drives them; each session's single reader goroutine parses only
// what the scenario needs (events are recognised by prefix, payload fields by a byte
// search, never by decoding JSON) and feeds per-session counters and shared latency
// histograms. The scenario then reduces them into a Result, one JSON object.
//
// Against a cluster (several Options.URLs) the sessions are spread over the nodes so
// that every room has members on every node (see spread), and the CPU and memory of
// every node's process are summed (Options.ServerPIDs), with the broker's reported
// apart (Options.WatchPIDs).
//
// The package shares no code with the server on purpose: a generator that reused the
// server's codec could not catch the server's codec bugs.
package loadgen
