package auth_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatd/chatd/internal/auth"
)

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "jwt.secret")

	secret, created, err := auth.LoadOrCreateSecret(path)
	if err != nil || !created {
		t.Fatalf("first call: created %v, err %v", created, err)
	}
	if raw, err := hex.DecodeString(string(secret)); err != nil || len(raw) != 32 {
		t.Errorf("secret %q is not 32 hex-encoded bytes", secret)
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700)

	again, created, err := auth.LoadOrCreateSecret(path)
	if err != nil || created {
		t.Fatalf("second call: created %v, err %v", created, err)
	}
	if string(again) != string(secret) {
		t.Errorf("reloaded secret %q differs from created %q", again, secret)
	}

	// The secret is usable end to end.
	token, err := auth.Mint(again, auth.MintOptions{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier(t, auth.Config{Secret: secret}).Verify(token); err != nil {
		t.Errorf("token minted with reloaded secret refused: %v", err)
	}
}

func TestLoadOrCreateSecretExisting(t *testing.T) {
	path := writeFile(t, "secret", []byte("  my-shared-secret\n\n"))
	secret, created, err := auth.LoadOrCreateSecret(path)
	if err != nil || created {
		t.Fatalf("created %v, err %v", created, err)
	}
	if string(secret) != "my-shared-secret" {
		t.Errorf("secret = %q, want trimmed file content", secret)
	}
	token := sign(t, jwt.SigningMethodHS256, []byte("my-shared-secret"), claims(), "")
	if _, err := verifier(t, auth.Config{Secret: secret}).Verify(token); err != nil {
		t.Errorf("token refused: %v", err)
	}
}

func TestLoadOrCreateSecretErrors(t *testing.T) {
	empty := writeFile(t, "secret", []byte(" \n"))
	if _, _, err := auth.LoadOrCreateSecret(empty); err == nil {
		t.Error("empty secret file accepted")
	}
	// A directory where the file should be cannot be read or created.
	if _, _, err := auth.LoadOrCreateSecret(t.TempDir()); err == nil {
		t.Error("directory accepted as secret file")
	}
	// The parent path is a regular file, so the directory cannot be created.
	file := writeFile(t, "plain", []byte("x"))
	if _, _, err := auth.LoadOrCreateSecret(filepath.Join(file, "secret")); err == nil {
		t.Error("secret created under a regular file")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode %v, want %v", path, got, want)
	}
}
