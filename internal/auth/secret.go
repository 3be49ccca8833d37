package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// secretBytes is the entropy of a generated secret (256 bits, as HS256 wants).
const secretBytes = 32

// LoadOrCreateSecret returns the HS256 secret kept in the file at path, trimmed of
// surrounding white space, creating the file first when it does not exist. A new
// secret is 32 random bytes written as 64 hex characters; the secret is that text,
// so tools that read the file directly sign with the same bytes. The file is
// created 0600 and its directory 0700: it lets anyone who reads it impersonate
// every user.
func LoadOrCreateSecret(path string) (secret []byte, created bool, err error) {
	secret, err = readSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, false, err
	}
	secret, err = createSecret(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and create: use theirs.
		secret, err = readSecret(path)
		return secret, false, err
	}
	return secret, err == nil, err
}

func readSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	secret := bytes.TrimSpace(data)
	if len(secret) == 0 {
		return nil, fmt.Errorf("read secret %s: file is empty", path)
	}
	return secret, nil
}

// createSecret writes a fresh secret with O_EXCL, so it never replaces one that
// already exists.
func createSecret(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create secret directory: %w", err)
	}
	raw := make([]byte, secretBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	secret := []byte(hex.EncodeToString(raw))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	_, err = f.Write(append(secret, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // a partial secret would be read back as the real one
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return secret, nil
}
