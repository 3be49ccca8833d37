package socketio

import "github.com/chatd/chatd/internal/engineio"

// DisconnectReason says why a socket left its namespace, with the names the official
// client uses.
type DisconnectReason int

const (
	ReasonServerNamespaceDisconnect DisconnectReason = iota + 1 // "server namespace disconnect"
	ReasonClientNamespaceDisconnect                             // "client namespace disconnect"
	ReasonTransportClose                                        // "transport close"
	ReasonTransportError                                        // "transport error"
	ReasonPingTimeout                                           // "ping timeout"
	ReasonParseError                                            // "parse error"
	ReasonForcedClose                                           // "forced close"
	ReasonServerShuttingDown                                    // "server shutting down"
	// ReasonSlowConsumer: the session's send queue overflowed because the client did
	// not read fast enough (no Socket.IO equivalent; the client sees "transport close").
	ReasonSlowConsumer // "slow consumer"
)

var reasonNames = [...]string{
	ReasonServerNamespaceDisconnect: "server namespace disconnect",
	ReasonClientNamespaceDisconnect: "client namespace disconnect",
	ReasonTransportClose:            "transport close",
	ReasonTransportError:            "transport error",
	ReasonPingTimeout:               "ping timeout",
	ReasonParseError:                "parse error",
	ReasonForcedClose:               "forced close",
	ReasonServerShuttingDown:        "server shutting down",
	ReasonSlowConsumer:              "slow consumer",
}

func (r DisconnectReason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// recoverable reports whether a socket that left for this reason may recover its
// state (the same set as socket.io's RECOVERABLE_DISCONNECT_REASONS, plus slow
// consumers, whose connection simply broke).
func (r DisconnectReason) recoverable() bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose,
		ReasonPingTimeout, ReasonServerShuttingDown, ReasonSlowConsumer:
		return true
	}
	return false
}

// reasonOf maps the reason an Engine.IO session ended to the one its sockets report.
func reasonOf(r engineio.CloseReason) DisconnectReason {
	switch r {
	case engineio.CloseReasonTransportClose:
		return ReasonTransportClose
	case engineio.CloseReasonTransportError:
		return ReasonTransportError
	case engineio.CloseReasonPingTimeout:
		return ReasonPingTimeout
	case engineio.CloseReasonParseError:
		return ReasonParseError
	case engineio.CloseReasonSlowConsumer:
		return ReasonSlowConsumer
	case engineio.CloseReasonServerShutdown:
		return ReasonServerShuttingDown
	default:
		return ReasonForcedClose
	}
}
