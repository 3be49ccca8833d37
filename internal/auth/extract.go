package auth

import (
	"net/http"
	"net/url"
	"strings"
)

// TokenFrom picks the token a client presented, from the first source that has one:
// authToken (the CONNECT auth payload's "token"), query parameter "token",
// "Authorization: Bearer", cookie "token". It returns "" when there is none.
// An empty value counts as absent, so a client sending `auth: {token: ""}` falls
// back to its cookie rather than being refused.
//
// The cookie value is used as sent: browsers transmit cookie bytes verbatim, and
// the JWT alphabet (base64url and dots) never needs percent-encoding.
func TokenFrom(authToken string, query url.Values, header http.Header) string {
	if authToken != "" {
		return authToken
	}
	if t := query.Get("token"); t != "" {
		return t
	}
	if t := bearerToken(header.Get("Authorization")); t != "" {
		return t
	}
	if c, err := (&http.Request{Header: header}).Cookie("token"); err == nil {
		return c.Value
	}
	return ""
}

// bearerToken returns the credentials of an "Authorization: Bearer x" value; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(v string) string {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(cred)
}
