// Package auth verifies the JSON Web Tokens that authenticate chat clients and mints
// development tokens. In chatd's data flow it is consulted by the chat domain when a
// socket connects to /chat (and when it refreshes its token); it knows nothing of
// Socket.IO frames.
package auth

// THIS FILE IS THE AGREED PUBLIC API. Bodies marked "not implemented" are to be
// replaced by the real implementation; exported names and signatures stay (more may be
// added).

import (
	"net/http"
	"net/url"
	"time"
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

// Claims are the token claims chatd uses.
type Claims struct {
	Subject   string   // sub, required: the user id
	Name      string   // name, optional display name
	Rooms     []string // rooms, optional patterns with * wildcards; nil means any room
	ExpiresAt time.Time
}

// AllowsRoom reports whether the rooms claim lets the user join room.
func (c *Claims) AllowsRoom(room string) bool { panic("not implemented") }

// Config configures a Verifier. Exactly one key source must be set.
type Config struct {
	Secret       []byte // HS256 shared secret
	PublicKeyPEM []byte // RS256/ES256/EdDSA public key (PEM)
	JWKSFile     string // path of a JWKS document
	Issuer       string // required iss when non-empty
	Audience     string // required aud when non-empty
	// Leeway tolerates clock skew on exp/nbf. Zero means 5s.
	Leeway time.Duration
	// ExpOptional accepts tokens without exp (by default exp is required).
	ExpOptional bool
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	// unexported fields
}

// NewVerifier returns a verifier for cfg, or an error when cfg is unusable.
func NewVerifier(cfg Config) (*Verifier, error) { panic("not implemented") }

// Verify checks token and returns its claims, or an *Error.
func (v *Verifier) Verify(token string) (*Claims, error) { panic("not implemented") }

// TokenFrom picks the token a client presented, from the first source that has one:
// authToken (the CONNECT auth payload's "token"), query parameter "token",
// "Authorization: Bearer", cookie "token". It returns "" when there is none.
func TokenFrom(authToken string, query url.Values, header http.Header) string {
	panic("not implemented")
}

// MintOptions describe a development token.
type MintOptions struct {
	Subject string
	Name    string
	Rooms   []string
	TTL     time.Duration // zero means 1h
}

// Mint signs an HS256 token with secret.
func Mint(secret []byte, o MintOptions) (string, error) { panic("not implemented") }
