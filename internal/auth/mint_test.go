package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

func TestMintRoundTrip(t *testing.T) {
	v := verifier(t, auth.Config{Secret: testSecret})
	tests := []struct {
		name string
		o    auth.MintOptions
	}{
		{"subject only", auth.MintOptions{Subject: "alice"}},
		{"name and rooms", auth.MintOptions{Subject: "bob", Name: "Bob", Rooms: []string{"general", "team-*"}}},
		{"no rooms allowed", auth.MintOptions{Subject: "carol", Rooms: []string{}}},
		{"custom ttl", auth.MintOptions{Subject: "dave", TTL: 10 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			token, err := auth.Mint(testSecret, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(token)
			if err != nil {
				t.Fatalf("minted token refused: %v", err)
			}
			if c.Subject != tt.o.Subject || c.Name != tt.o.Name {
				t.Errorf("claims %+v, want subject %q name %q", c, tt.o.Subject, tt.o.Name)
			}
			if (c.Rooms == nil) != (tt.o.Rooms == nil) || strings.Join(c.Rooms, ",") != strings.Join(tt.o.Rooms, ",") {
				t.Errorf("Rooms = %#v, want %#v", c.Rooms, tt.o.Rooms)
			}
			ttl := tt.o.TTL
			if ttl == 0 {
				ttl = auth.DefaultTTL
			}
			// exp has whole-second precision.
			want := before.Add(ttl).Truncate(time.Second)
			if c.ExpiresAt.Before(want) || c.ExpiresAt.After(time.Now().Add(ttl)) {
				t.Errorf("ExpiresAt %v, want about %v", c.ExpiresAt, want)
			}
		})
	}
}

func TestMintHeaderAndClaims(t *testing.T) {
	token, err := auth.Mint(testSecret, auth.MintOptions{Subject: "alice", Issuer: "chatd", Audience: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	var header map[string]any
	var payload map[string]any
	if err := json.Unmarshal(must(base64.RawURLEncoding.DecodeString(parts[0])), &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(must(base64.RawURLEncoding.DecodeString(parts[1])), &payload); err != nil {
		t.Fatal(err)
	}
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v, want HS256", header["alg"])
	}
	for _, k := range []string{"sub", "iat", "exp", "iss", "aud"} {
		if _, ok := payload[k]; !ok {
			t.Errorf("claim %q missing from %v", k, payload)
		}
	}
	for _, k := range []string{"name", "rooms"} {
		if _, ok := payload[k]; ok {
			t.Errorf("unset claim %q present in %v", k, payload)
		}
	}
	v := verifier(t, auth.Config{Secret: testSecret, Issuer: "chatd", Audience: "chat"})
	if _, err := v.Verify(token); err != nil {
		t.Errorf("token with iss/aud refused by a verifier requiring them: %v", err)
	}
}

func TestMintExpiredAndErrors(t *testing.T) {
	token, err := auth.Mint(testSecret, auth.MintOptions{Subject: "alice", TTL: -time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifier(t, auth.Config{Secret: testSecret}).Verify(token)
	if c := code(t, err); c != auth.CodeTokenExpired {
		t.Errorf("negative TTL: code %q, want %q", c, auth.CodeTokenExpired)
	}
	if _, err := auth.Mint(nil, auth.MintOptions{Subject: "alice"}); err == nil {
		t.Error("Mint accepted an empty secret")
	}
	if _, err := auth.Mint(testSecret, auth.MintOptions{}); err == nil {
		t.Error("Mint accepted an empty subject")
	}
}
