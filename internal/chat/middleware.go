package chat

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/socketio"
)

// connectErrorData is the data of a refused connection: err.data of the client's
// connect_error.
type connectErrorData struct {
	Type         string `json:"type"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"`
}

// Messages of refused connections: err.message of the client's connect_error.
const (
	connectUnauthorized = "unauthorized"
	connectRateLimited  = "rate_limited"
)

// authenticate is the namespace middleware: it limits new connections per IP, then
// verifies the client's token and stores the socket's client state.
func (svc *Service) authenticate(s *socketio.Socket) error {
	var (
		query  url.Values
		header http.Header
		remote string
	)
	if hs := s.Handshake(); hs != nil {
		query, header, remote = hs.Query, hs.Header, hs.RemoteAddr
	}
	if wait := svc.conns.allow(hostOf(remote), svc.clock.Now()); wait > 0 {
		return refuseConnect(connectRateLimited, rateLimited("too many connections", wait))
	}
	token := auth.TokenFrom(authPayloadToken(s.Auth()), query, header)
	s.ReleaseAuth() // read once: an idle socket need not keep the payload with its token
	if token == "" {
		return refuseConnect(connectUnauthorized, authError(CodeTokenMissing, "no token"))
	}
	claims, err := svc.verify(token)
	if err != nil {
		return refuseConnect(connectUnauthorized, err)
	}
	s.SetValue(newClient(s.ID(), claims, s, svc.log))
	return nil
}

func refuseConnect(message string, e *Error) *socketio.ConnectError {
	return &socketio.ConnectError{Message: message, Data: connectErrorData{
		Type: e.Type, Code: e.Code, Message: e.Message, RetryAfterMs: e.RetryAfterMs,
	}}
}

// authPayloadToken returns the "token" string of the CONNECT auth payload, or "".
func authPayloadToken(raw json.RawMessage) string {
	var p struct {
		Token json.RawMessage `json:"token"`
	}
	if !decodeObject(raw, &p) {
		return ""
	}
	token, _ := decodeString(p.Token)
	return token
}
