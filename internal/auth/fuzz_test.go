package auth_test

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatd/chatd/internal/auth"
)

// FuzzVerify feeds arbitrary strings to Verify, with a secret and with a JWKS. It
// must never panic, must report every refusal as an *auth.Error, and whatever it
// accepts must carry a subject.
func FuzzVerify(f *testing.F) {
	good := must(auth.Mint(testSecret, auth.MintOptions{Subject: "alice", Rooms: []string{"a*"}}))
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add(good[:len(good)-1])
	f.Add(sign(f, jwt.SigningMethodHS256, testSecret, claims("rooms", "x"), ""))
	f.Add(sign(f, jwt.SigningMethodHS256, testSecret, claims("exp", 1), ""))
	v := verifier(f, auth.Config{Secret: testSecret})
	jwksV := verifier(f, auth.Config{JWKSFile: jwksFile(f, map[string]any{
		"ec": ecKey().Public(), "nokid-ed": edKey().Public(),
	}, nil)})
	f.Fuzz(func(t *testing.T, token string) {
		for _, v := range []*auth.Verifier{v, jwksV} {
			c, err := v.Verify(token)
			if err != nil {
				code(t, err)
				continue
			}
			if c.Subject == "" {
				t.Fatalf("accepted %q with an empty subject", token)
			}
		}
	})
}
