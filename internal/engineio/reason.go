package engineio

// closeReasonNames are the names Socket.IO gives these reasons in its "disconnect"
// event. CloseReasonSlowConsumer has no Socket.IO equivalent and gets its own name.
var closeReasonNames = [...]string{
	CloseReasonTransportClose: "transport close",
	CloseReasonTransportError: "transport error",
	CloseReasonPingTimeout:    "ping timeout",
	CloseReasonParseError:     "parse error",
	CloseReasonForced:         "forced close",
	CloseReasonSlowConsumer:   "slow consumer",
	CloseReasonServerShutdown: "server shutting down",
}

// numCloseReasons sizes the per-reason counters; index 0 is unused.
const numCloseReasons = len(closeReasonNames)

// String returns the reason as Socket.IO names it ("transport close", "ping timeout", …).
func (r CloseReason) String() string {
	if r <= 0 || int(r) >= numCloseReasons {
		return "unknown"
	}
	return closeReasonNames[r]
}
