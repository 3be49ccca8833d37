package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTTL is the lifetime of a minted token when MintOptions.TTL is zero.
const DefaultTTL = time.Hour

// MintOptions describe a development token.
type MintOptions struct {
	Subject string
	Name    string
	Rooms   []string      // nil omits the claim (any room); an empty slice allows none
	TTL     time.Duration // zero means 1h; negative mints an already expired token
	// Issuer and Audience set iss and aud, for verifiers configured to require them.
	Issuer   string
	Audience string
}

// mintClaims is the JSON payload Mint signs.
type mintClaims struct {
	jwt.RegisteredClaims
	Name  string    `json:"name,omitempty"`
	Rooms *[]string `json:"rooms,omitempty"` // a pointer so that [] survives omitempty
}

// Mint signs an HS256 token with secret.
func Mint(secret []byte, o MintOptions) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("mint token: empty secret")
	}
	if o.Subject == "" {
		return "", errors.New("mint token: empty subject")
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := time.Now()
	c := mintClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   o.Subject,
			Issuer:    o.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Name: o.Name,
	}
	if o.Audience != "" {
		c.Audience = jwt.ClaimStrings{o.Audience}
	}
	if o.Rooms != nil {
		c.Rooms = &o.Rooms
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return s, nil
}
