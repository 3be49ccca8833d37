package engineio

import (
	"net/http"
	"strconv"
)

// errorCode is the "code" of engine.io's JSON error bodies.
type errorCode int

const (
	errTransportUnknown    errorCode = 0
	errUnknownSID          errorCode = 1
	errBadHandshakeMethod  errorCode = 2
	errBadRequest          errorCode = 3
	errForbidden           errorCode = 4
	errUnsupportedProtocol errorCode = 5
)

var errorMessages = [...]string{
	errTransportUnknown:    "Transport unknown",
	errUnknownSID:          "Session ID unknown",
	errBadHandshakeMethod:  "Bad handshake method",
	errBadRequest:          "Bad request",
	errForbidden:           "Forbidden",
	errUnsupportedProtocol: "Unsupported protocol version",
}

// writeError answers like engine.io: status (400 or 403) and {"code":…,"message":…}.
func writeError(w http.ResponseWriter, status int, code errorCode) {
	body := make([]byte, 0, 64)
	body = append(body, `{"code":`...)
	body = strconv.AppendInt(body, int64(code), 10)
	body = append(body, `,"message":"`...)
	body = append(body, errorMessages[code]...)
	body = append(body, `"}`...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
