package main

import (
	"fmt"
	"log/slog"

	"github.com/chatd/chatd/internal/webui"
)

// web is the browser side of chatd: the chat page, and the development token
// endpoint it signs in with. Either is nil when off.
type web struct {
	site   *webui.Site
	tokens *webui.DevTokens
}

// newWeb builds the chat page when --web is on, and POST /dev/token exactly when the
// server is in development mode and verifies HS256 tokens, whose secret it can sign
// with (a server that trusts a public key cannot mint tokens for it).
func newWeb(cfg *Config, dev bool, log *slog.Logger) (web, error) {
	var w web
	if !cfg.Web {
		return w, nil
	}
	site, err := webui.New(log.With("component", "webui"))
	if err != nil {
		return w, fmt.Errorf("load web page: %w", err)
	}
	w.site = site
	if !dev {
		return w, nil
	}
	ac, keyless, err := authConfig(cfg)
	if err != nil {
		return w, err
	}
	secret := ac.Secret
	if keyless {
		// newVerifier has created the secret already; this only reads it.
		if secret, _, _, err = devSecret(cfg); err != nil {
			return w, err
		}
	}
	if secret == nil {
		log.Warn("development mode without an HS256 secret: POST /dev/token is off; sign in with a token")
		return w, nil
	}
	w.tokens = &webui.DevTokens{Secret: secret, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience,
		Log: log.With("component", "devtoken")}
	return w, nil
}
