package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatd/chatd/internal/auth"
)

// DevTokenPath is where DevTokens is mounted.
const DevTokenPath = "/dev/token"

// DefaultDevTokenTTL is the lifetime of a development token when DevTokens.TTL is zero.
const DefaultDevTokenTTL = 24 * time.Hour

// maxNameLen bounds a display name, in characters.
const maxNameLen = 64

// maxDevTokenBody bounds the request body of POST /dev/token.
const maxDevTokenBody = 4 << 10

// userIDPattern is what a name must normalize to: it becomes the token's sub.
var userIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// DevTokens mints development tokens for the chat page: POST {name} returns
// {token, userId, expiresAt} and sets the HttpOnly cookie "token". GET reports that
// the endpoint is on (the page offers name sign-in then); DELETE clears the cookie.
// Mount it only in development mode: anyone who can reach it can be anyone.
type DevTokens struct {
	Secret   []byte        // HS256 secret the server verifies with
	Issuer   string        // iss to set, when the verifier requires one
	Audience string        // aud to set, when the verifier requires one
	TTL      time.Duration // zero means DefaultDevTokenTTL
	Log      *slog.Logger
}

// devTokenRequest is the body of POST /dev/token.
type devTokenRequest struct {
	Name string `json:"name"`
}

// devTokenResponse is the answer of POST /dev/token.
type devTokenResponse struct {
	Token     string `json:"token"`
	UserID    string `json:"userId"`
	ExpiresAt string `json:"expiresAt"`
}

// ServeHTTP answers GET, POST and DELETE.
func (d *DevTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, map[string]bool{"enabled": true})
	case http.MethodPost:
		d.mint(w, r)
	case http.MethodDelete:
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "token", Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (d *DevTokens) mint(w http.ResponseWriter, r *http.Request) {
	// A JSON body cannot be sent cross-site without a CORS preflight, which this
	// endpoint never grants; the origin check covers browsers that skip it.
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send JSON: {\"name\": \"alice\"}")
		return
	}
	var req devTokenRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDevTokenBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body must be JSON: {\"name\": \"alice\"}")
		return
	}
	name, userID, err := NormalizeName(req.Name)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ttl := d.TTL
	if ttl <= 0 {
		ttl = DefaultDevTokenTTL
	}
	expires := time.Now().Add(ttl)
	token, err := auth.Mint(d.Secret, auth.MintOptions{
		Subject: userID, Name: name, TTL: ttl, Issuer: d.Issuer, Audience: d.Audience,
	})
	if err != nil {
		d.Log.Error("dev token: mint", "err", err)
		writeError(w, http.StatusInternalServerError, "could not mint a token")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "token", Value: token, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	d.Log.Info("dev token minted", "user", userID)
	writeJSON(w, http.StatusOK, devTokenResponse{
		Token: token, UserID: userID, ExpiresAt: expires.UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}

// NormalizeName checks a display name and derives the user id from it: lower case,
// blanks turned into "-", 1–32 characters of a–z 0–9 . _ - starting with a letter or
// digit.
func NormalizeName(raw string) (name, userID string, err error) {
	name = strings.Join(strings.Fields(raw), " ")
	switch {
	case name == "":
		return "", "", errors.New("name is required")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameLen:
		return "", "", fmt.Errorf("name must be at most %d characters", maxNameLen)
	}
	userID = strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	if !userIDPattern.MatchString(userID) {
		return "", "", errors.New("name must be 1–32 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit")
	}
	return name, userID, nil
}

// sameOrigin reports whether a browser request comes from a page of this server.
// Requests without Origin (curl, scripts) pass: they carry no ambient cookies to abuse.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(host, r.Host)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
