package auth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLeeway is the clock skew tolerated on exp and nbf when Config.Leeway is zero.
const DefaultLeeway = 5 * time.Second

// MaxTokenLen bounds the tokens Verify will parse, so that an oversized query string
// or cookie cannot make the server decode megabytes of base64 and JSON.
const MaxTokenLen = 16 << 10

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

func (c *Config) leeway() time.Duration {
	if c.Leeway == 0 {
		return DefaultLeeway
	}
	return c.Leeway
}

// keys resolves the one configured key source.
func (c *Config) keys() (*keySet, error) {
	n := 0
	for _, set := range []bool{len(c.Secret) > 0, len(c.PublicKeyPEM) > 0, c.JWKSFile != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("configure auth: want exactly one of secret, public key, JWKS file; have %d", n)
	}
	switch {
	case len(c.Secret) > 0:
		return singleKey(slices.Clone(c.Secret))
	case len(c.PublicKeyPEM) > 0:
		key, err := parsePublicKeyPEM(c.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		return singleKey(key)
	default:
		return loadJWKS(c.JWKSFile)
	}
}

func singleKey(key any) (*keySet, error) {
	vk, err := newVerificationKey(key)
	if err != nil {
		return nil, fmt.Errorf("configure auth key: %w", err)
	}
	return &keySet{single: vk}, nil
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	keys   *keySet     // immutable after NewVerifier
	parser *jwt.Parser // immutable after NewVerifier; jwt.Parser is safe to share
}

// NewVerifier returns a verifier for cfg, or an error when cfg is unusable.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Leeway < 0 {
		return nil, errors.New("configure auth: negative leeway")
	}
	keys, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(keys.methods()),
		jwt.WithLeeway(cfg.leeway()),
	}
	if !cfg.ExpOptional {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return &Verifier{keys: keys, parser: jwt.NewParser(opts...)}, nil
}

// Verify checks token and returns its claims, or an *Error. An empty token is
// token_missing; an expired but otherwise valid one is token_expired; anything
// else wrong is token_invalid.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if token == "" {
		return nil, classify(errNoToken)
	}
	if len(token) > MaxTokenLen {
		return nil, classify(errTokenTooLarge)
	}
	var tc tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &tc, v.keys.keyfunc); err != nil {
		return nil, classify(err)
	}
	return tc.claims(), nil
}
