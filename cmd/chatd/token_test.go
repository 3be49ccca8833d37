package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

// verify checks a minted token against secret.
func verify(t *testing.T, secret []byte, token string) *auth.Claims {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(token)
	if err != nil {
		t.Fatalf("verify minted token: %v", err)
	}
	return c
}

func TestTokenWithConfiguredSecret(t *testing.T) {
	const secret = "a-test-secret-that-is-long-enough-for-hs256"
	vars := map[string]string{"CHATD_JWT_SECRET": secret, "CHATD_DATA_DIR": t.TempDir()}
	r := invoke(t, vars, "token", "--sub", "alice", "--name", "Alice", "--rooms", "team-*, general", "--ttl", "90m")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	token := strings.TrimSuffix(r.stdout, "\n")
	if strings.ContainsAny(token, " \n") || token == "" {
		t.Fatalf("stdout must be the token alone, got %q", r.stdout)
	}
	c := verify(t, []byte(secret), token)
	if c.Subject != "alice" || c.Name != "Alice" || !slices.Equal(c.Rooms, []string{"team-*", "general"}) {
		t.Errorf("claims %+v", c)
	}
	if ttl := time.Until(c.ExpiresAt); ttl < 89*time.Minute || ttl > 91*time.Minute {
		t.Errorf("expires in %v, want 90m", ttl)
	}
	if entries, _ := os.ReadDir(vars["CHATD_DATA_DIR"]); len(entries) != 0 {
		t.Errorf("a configured secret must not create files, got %d", len(entries))
	}
}

func TestTokenWithGeneratedSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	vars := map[string]string{"CHATD_DB": filepath.Join(dir, "chatd.db")}
	first := invoke(t, vars, "token", "--sub", "bob")
	if first.code != exitOK || !strings.Contains(first.stderr, "created a development secret") {
		t.Fatalf("exit %d, stderr %q", first.code, first.stderr)
	}
	second := invoke(t, vars, "token", "--sub", "bob")
	if second.code != exitOK || second.stderr != "" {
		t.Fatalf("second run: exit %d, stderr %q", second.code, second.stderr)
	}
	// Both are signed with the file the server would load: same secret resolution.
	secret, created, err := auth.LoadOrCreateSecret(filepath.Join(dir, secretFile))
	if err != nil || created {
		t.Fatalf("secret file: created=%v err=%v", created, err)
	}
	for _, r := range []result{first, second} {
		if c := verify(t, secret, strings.TrimSpace(r.stdout)); c.Subject != "bob" || c.Rooms != nil {
			t.Errorf("claims %+v", c)
		}
	}
	if strings.Contains(first.stderr, string(secret)) {
		t.Error("the secret must never be printed")
	}
}

func TestTokenRefusals(t *testing.T) {
	pem := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(pem, []byte("-----BEGIN PUBLIC KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no sub", map[string]string{"CHATD_JWT_SECRET": "s"}, nil, "--sub is required"},
		{"bad ttl", map[string]string{"CHATD_JWT_SECRET": "s"}, []string{"--sub=a", "--ttl=-1h"}, "--ttl must be positive"},
		{"public key", map[string]string{"CHATD_JWT_PUBLIC_KEY": pem}, []string{"--sub=a"}, "signs HS256 tokens"},
		{"bad setting", map[string]string{"CHATD_JWT_SECRET": "s", "CHATD_RATE_BURST": "x"}, []string{"--sub=a"}, "CHATD_RATE_BURST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, tt.vars, append([]string{"token"}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Fatalf("got exit %d, stderr %q, stdout %q; want exit 2 with %q", r.code, r.stderr, r.stdout, tt.want)
			}
		})
	}
}

func TestTokenHelp(t *testing.T) {
	r := invoke(t, nil, "token", "--help")
	for _, want := range []string{"--sub string", "--rooms string", "--ttl duration", "CHATD_JWT_SECRET"} {
		if r.code != exitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d, help lacks %q", r.code, want)
		}
	}
}
