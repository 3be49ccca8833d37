package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/chatd/chatd/internal/auth"
)

// secretFile is the file, in the data directory, of the generated HS256 secret.
const secretFile = "jwt-secret"

// devSecret loads the generated development secret, creating it on first use.
func devSecret(cfg *Config) (secret []byte, path string, created bool, err error) {
	path = filepath.Join(cfg.DataDir, secretFile)
	secret, created, err = auth.LoadOrCreateSecret(path)
	if err != nil {
		return nil, path, false, fmt.Errorf("load development secret: %w", err)
	}
	return secret, path, created, nil
}

// authConfig returns the verifier settings of cfg's key source, reading the key file.
// It reports keyless = true when no key source is configured, in which case the
// caller supplies the development secret.
func authConfig(cfg *Config) (ac auth.Config, keyless bool, err error) {
	ac = auth.Config{JWKSFile: cfg.JWTJWKS, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
	switch {
	case cfg.JWTSecret != "":
		ac.Secret = []byte(cfg.JWTSecret)
	case cfg.JWTPublicKey != "":
		pem, err := os.ReadFile(cfg.JWTPublicKey)
		if err != nil {
			return ac, false, &configError{fmt.Errorf("%s: %w", settingName("jwt-public-key"), err)}
		}
		ac.PublicKeyPEM = pem
	case cfg.JWTJWKS == "":
		return ac, true, nil
	}
	return ac, false, nil
}

// minSecretLen is the shortest HS256 secret accepted without a warning: RFC 7518
// asks for a key at least as long as the hash output.
const minSecretLen = 32

// newVerifier builds the token verifier of cfg. With no key source configured it uses
// the development secret, logs how to mint a token for it, and reports dev = true.
func newVerifier(cfg *Config, log *slog.Logger) (v *auth.Verifier, dev bool, err error) {
	ac, keyless, err := authConfig(cfg)
	if err != nil {
		return nil, false, err
	}
	if keyless {
		secret, path, created, err := devSecret(cfg)
		if err != nil {
			return nil, false, err
		}
		ac.Secret = secret
		hint := "chatd token --sub alice"
		if cfg.DataDir != defaultDataDir(memoryDB) {
			hint += " --data-dir " + cfg.DataDir
		}
		log.Warn("no JWT key configured: development mode with a generated secret",
			"secret_file", path, "created", created, "mint_token", hint)
	} else if cfg.JWTSecret != "" && len(cfg.JWTSecret) < minSecretLen {
		log.Warn("the JWT secret is short; use at least 32 random bytes", "setting", envName("jwt-secret"))
	}
	v, err = auth.NewVerifier(ac)
	if err != nil {
		return nil, false, &configError{fmt.Errorf("configure token verification: %w", err)}
	}
	return v, keyless, nil
}
