// Package auth verifies the JSON Web Tokens that authenticate chat clients and mints
// development tokens. In chatd's data flow it is consulted by the chat domain when a
// socket connects to /chat (and when it refreshes its token); it knows nothing of
// Socket.IO frames.
//
// A token is picked from the client's handshake by [TokenFrom], checked by a
// [Verifier] built from one key source (an HS256 secret, a PEM public key or a JWKS
// file), and yields [Claims]. Refusals are *[Error] values whose Code is what the
// contract sends to the client in connect_error data.
package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// Error codes, as the contract names them in connect_error data and error events.
const (
	CodeTokenMissing = "token_missing"
	CodeTokenInvalid = "token_invalid"
	CodeTokenExpired = "token_expired"
)

// Error is a refused token. Message is safe to show to the client (it never contains
// the token).
type Error struct {
	Code    string // one of the Code… constants
	Message string
	Err     error // the underlying cause, for logs
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Causes chatd adds to the ones jwt reports; they let classify pick a precise message.
var (
	errNoToken        = errors.New("no token presented")
	errTokenTooLarge  = errors.New("token exceeds size limit")
	errSubjectMissing = errors.New("sub claim is required")
	errRoomsNotArray  = errors.New("rooms claim must be an array of strings")
)

// classify turns a parse or validation failure into the client-facing error.
// Expiry is reported only when it is the sole problem, so that an expired token
// with, say, a foreign issuer is not presented as merely needing a refresh.
func classify(err error) *Error {
	invalid := func(msg string) *Error {
		return &Error{Code: CodeTokenInvalid, Message: msg, Err: err}
	}
	switch {
	case errors.Is(err, errNoToken):
		return &Error{Code: CodeTokenMissing, Message: "no token presented", Err: err}
	case errors.Is(err, errTokenTooLarge):
		return invalid("token is too large")
	case errors.Is(err, errRoomsNotArray):
		return invalid("rooms claim must be an array of strings")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalid("token is malformed")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return invalid("token signing key is unknown")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalid("token signature is invalid")
	case errors.Is(err, errSubjectMissing):
		return invalid("token has no subject")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return invalid("token issuer is not accepted")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return invalid("token audience is not accepted")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalid("token is not valid yet")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalid("token is missing a required claim")
	case errors.Is(err, jwt.ErrTokenExpired):
		return &Error{Code: CodeTokenExpired, Message: "token has expired", Err: err}
	default:
		return invalid("token is invalid")
	}
}
