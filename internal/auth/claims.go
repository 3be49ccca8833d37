package auth

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the token claims chatd uses.
type Claims struct {
	Subject   string   // sub, required: the user id
	Name      string   // name, optional display name
	Rooms     []string // rooms, optional patterns with * wildcards; nil means any room
	ExpiresAt time.Time
}

// AllowsRoom reports whether the rooms claim lets the user join room. A token
// without a rooms claim allows every room; an empty rooms array allows none.
func (c *Claims) AllowsRoom(room string) bool {
	if c.Rooms == nil {
		return true
	}
	for _, p := range c.Rooms {
		if matchGlob(p, room) {
			return true
		}
	}
	return false
}

// tokenClaims is the JSON payload of a verified token.
type tokenClaims struct {
	jwt.RegisteredClaims
	Name  string   `json:"name"`
	Rooms roomList `json:"rooms"`
}

// Validate adds chatd's own requirements to jwt's registered-claim checks; the
// parser calls it so that all claim problems are reported together.
func (c *tokenClaims) Validate() error {
	if c.Subject == "" {
		return fmt.Errorf("%w: %w", jwt.ErrTokenRequiredClaimMissing, errSubjectMissing)
	}
	return nil
}

// claims converts the payload to the domain's view of it.
func (c *tokenClaims) claims() *Claims {
	out := &Claims{Subject: c.Subject, Name: c.Name, Rooms: c.Rooms}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out
}

// roomList is the rooms claim. It exists to refuse any shape but an array of
// strings: silently treating a mistyped claim as absent would grant every room.
type roomList []string

// UnmarshalJSON accepts only a JSON array of strings; an empty array stays non-nil
// so that it keeps meaning "no room".
func (r *roomList) UnmarshalJSON(data []byte) error {
	if len(data) == 0 || data[0] != '[' {
		return errRoomsNotArray
	}
	// Pointers tell a null element apart from "", which would otherwise slip in.
	var elems []*string
	if err := json.Unmarshal(data, &elems); err != nil {
		return fmt.Errorf("%w: %w", errRoomsNotArray, err)
	}
	rooms := make([]string, len(elems))
	for i, e := range elems {
		if e == nil {
			return errRoomsNotArray
		}
		rooms[i] = *e
	}
	*r = rooms
	return nil
}
