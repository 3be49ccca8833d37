package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/chatd/chatd/internal/auth"
)

func TestVerifyAlgorithms(t *testing.T) {
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey().PublicKey)})
	jwks := func(t *testing.T) string {
		return jwksFile(t, map[string]any{
			"rsa": rsaKey().Public(), "ec": ecKey().Public(), "nokid-ed": edKey().Public(),
		}, nil)
	}
	tests := []struct {
		name     string
		cfg      func(t *testing.T) auth.Config
		method   jwt.SigningMethod
		key      any // signs the good token
		wrongKey any // same type, not configured
		kid      string
	}{
		{"HS256", secretCfg, jwt.SigningMethodHS256, testSecret, []byte("another secret of some length!!"), ""},
		{"RS256 PEM", pemCfg(rsaKey().Public()), jwt.SigningMethodRS256, rsaKey(), rsaKey2(), ""},
		{"PS256 PEM", pemCfg(rsaKey().Public()), jwt.SigningMethodPS256, rsaKey(), rsaKey2(), ""},
		{"RS256 PKCS1 PEM", func(*testing.T) auth.Config { return auth.Config{PublicKeyPEM: pkcs1} },
			jwt.SigningMethodRS256, rsaKey(), rsaKey2(), ""},
		{"ES256 PEM", pemCfg(ecKey().Public()), jwt.SigningMethodES256, ecKey(), ecKey2(), ""},
		{"ES384 PEM", pemCfg(ec384().Public()), jwt.SigningMethodES384, ec384(), ec384b(), ""},
		{"EdDSA PEM", pemCfg(edKey().Public()), jwt.SigningMethodEdDSA, edKey(), edKey2(), ""},
		{"JWKS RS256 kid", jwksCfg(jwks), jwt.SigningMethodRS256, rsaKey(), rsaKey2(), "rsa"},
		{"JWKS ES256 kid", jwksCfg(jwks), jwt.SigningMethodES256, ecKey(), ecKey2(), "ec"},
		{"JWKS EdDSA no kid", jwksCfg(jwks), jwt.SigningMethodEdDSA, edKey(), edKey2(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifier(t, tt.cfg(t))
			got, err := v.Verify(sign(t, tt.method, tt.key, claims("name", "Alice"), tt.kid))
			if err != nil {
				t.Fatalf("valid token refused: %v", err)
			}
			if got.Subject != "alice" || got.Name != "Alice" || got.Rooms != nil {
				t.Errorf("claims = %+v", got)
			}
			if time.Until(got.ExpiresAt) < 50*time.Minute {
				t.Errorf("ExpiresAt = %v, want about an hour from now", got.ExpiresAt)
			}
			_, err = v.Verify(sign(t, tt.method, tt.wrongKey, claims(), tt.kid))
			if c := code(t, err); c != auth.CodeTokenInvalid {
				t.Errorf("token from foreign key: code %q, want %q", c, auth.CodeTokenInvalid)
			}
		})
	}
}

func secretCfg(*testing.T) auth.Config { return auth.Config{Secret: testSecret} }

func pemCfg(pub any) func(*testing.T) auth.Config {
	return func(t *testing.T) auth.Config { return auth.Config{PublicKeyPEM: pemPublic(t, pub)} }
}

func jwksCfg(path func(*testing.T) string) func(*testing.T) auth.Config {
	return func(t *testing.T) auth.Config { return auth.Config{JWKSFile: path(t)} }
}

// noneToken builds an unsigned token by hand, as an attacker would.
func noneToken(alg string) string {
	enc := base64.RawURLEncoding.EncodeToString
	exp := time.Now().Add(time.Hour).Unix()
	return enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." +
		enc([]byte(`{"sub":"mallory","exp":`+strconv.FormatInt(exp, 10)+`}`)) + "."
}

func TestVerifyRefusesAlgorithmConfusion(t *testing.T) {
	rsaPEM := pemPublic(t, rsaKey().Public())
	rsaDER := must(x509.MarshalPKIXPublicKey(rsaKey().Public()))
	jwksPath := jwksFile(t, map[string]any{"rsa": rsaKey().Public()}, nil)
	pemV := verifier(t, auth.Config{PublicKeyPEM: rsaPEM})
	jwksV := verifier(t, auth.Config{JWKSFile: jwksPath})
	ecV := verifier(t, auth.Config{PublicKeyPEM: pemPublic(t, ecKey().Public())})
	secretV := verifier(t, auth.Config{Secret: testSecret})
	unsafeNone := jwt.UnsafeAllowNoneSignatureType

	tests := []struct {
		name  string
		v     *auth.Verifier
		token string
	}{
		{"HS256 keyed with PEM", pemV, sign(t, jwt.SigningMethodHS256, rsaPEM, claims(), "")},
		{"HS256 keyed with DER", pemV, sign(t, jwt.SigningMethodHS256, rsaDER, claims(), "")},
		{"HS256 keyed with PEM via JWKS kid", jwksV, sign(t, jwt.SigningMethodHS256, rsaPEM, claims(), "rsa")},
		{"HS256 keyed with PEM via JWKS no kid", jwksV, sign(t, jwt.SigningMethodHS256, rsaPEM, claims(), "")},
		{"none on secret", secretV, sign(t, jwt.SigningMethodNone, unsafeNone, claims(), "")},
		{"none on PEM", pemV, sign(t, jwt.SigningMethodNone, unsafeNone, claims(), "")},
		{"none on JWKS", jwksV, sign(t, jwt.SigningMethodNone, unsafeNone, claims(), "rsa")},
		{"hand-made none", secretV, noneToken("none")},
		{"hand-made NONE", secretV, noneToken("NONE")},
		{"RS256 on EC key", ecV, sign(t, jwt.SigningMethodRS256, rsaKey(), claims(), "")},
		{"ES384 on P-256 key", ecV, sign(t, jwt.SigningMethodES384, ec384(), claims(), "")},
		{"HS512 on secret", secretV, sign(t, jwt.SigningMethodHS512, testSecret, claims(), "")},
		{"HS384 on secret", secretV, sign(t, jwt.SigningMethodHS384, testSecret, claims(), "")},
		{"RS256 on secret", secretV, sign(t, jwt.SigningMethodRS256, rsaKey(), claims(), "")},
		{"unknown kid", jwksV, sign(t, jwt.SigningMethodRS256, rsaKey(), claims(), "other")},
		{"non-string kid", jwksV, signKid(t, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.Verify(tt.token)
			if c := code(t, err); c != auth.CodeTokenInvalid {
				t.Fatalf("code %q (claims %+v), want %q", c, got, auth.CodeTokenInvalid)
			}
		})
	}
}

func signKid(t *testing.T, kid any) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims())
	tok.Header["kid"] = kid
	return must(tok.SignedString(rsaKey()))
}

func TestVerifyJWKSHonoursKeyMetadata(t *testing.T) {
	path := jwksFile(t, map[string]any{"sig": rsaKey().Public(), "enc": rsaKey2().Public()},
		map[string]jwkset.JWKMetadataOptions{
			"sig": {ALG: jwkset.AlgPS256},
			"enc": {USE: jwkset.UseEnc},
		})
	v := verifier(t, auth.Config{JWKSFile: path})
	if _, err := v.Verify(sign(t, jwt.SigningMethodPS256, rsaKey(), claims(), "sig")); err != nil {
		t.Errorf("PS256 with declared alg refused: %v", err)
	}
	if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, rsaKey(), claims(), "sig")); code(t, err) != auth.CodeTokenInvalid {
		t.Errorf("RS256 against a key declared PS256: err %v, want token_invalid", err)
	}
	if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, rsaKey2(), claims(), "enc")); code(t, err) != auth.CodeTokenInvalid {
		t.Errorf("encryption key used to verify: err %v, want token_invalid", err)
	}
}

func TestVerifyTimeClaims(t *testing.T) {
	now := time.Now()
	at := func(d time.Duration) int64 { return now.Add(d).Unix() }
	tests := []struct {
		name string
		cfg  auth.Config
		c    jwt.MapClaims
		want string
	}{
		{"expired within leeway", auth.Config{Leeway: time.Minute}, claims("exp", at(-20*time.Second)), ""},
		{"expired beyond leeway", auth.Config{Leeway: time.Minute}, claims("exp", at(-2*time.Minute)), auth.CodeTokenExpired},
		{"expired beyond default leeway", auth.Config{}, claims("exp", at(-time.Minute)), auth.CodeTokenExpired},
		{"nbf within leeway", auth.Config{Leeway: time.Minute}, claims("nbf", at(20*time.Second)), ""},
		{"nbf beyond leeway", auth.Config{Leeway: time.Minute}, claims("nbf", at(2*time.Minute)), auth.CodeTokenInvalid},
		{"nbf passed", auth.Config{}, claims("nbf", at(-time.Minute)), ""},
		{"no exp", auth.Config{}, claims("exp", nil), auth.CodeTokenInvalid},
		{"no exp, optional", auth.Config{ExpOptional: true}, claims("exp", nil), ""},
		{"expired, optional exp", auth.Config{ExpOptional: true}, claims("exp", at(-time.Hour)), auth.CodeTokenExpired},
		{"exp not a number", auth.Config{}, claims("exp", "tomorrow"), auth.CodeTokenInvalid},
		{"expired and wrong issuer", auth.Config{Issuer: "chatd"},
			claims("exp", at(-time.Hour), "iss", "evil"), auth.CodeTokenInvalid},
		{"expired and no subject", auth.Config{}, claims("exp", at(-time.Hour), "sub", nil), auth.CodeTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Secret = testSecret
			_, err := verifier(t, tt.cfg).Verify(sign(t, jwt.SigningMethodHS256, testSecret, tt.c, ""))
			if c := code(t, err); c != tt.want {
				t.Fatalf("code %q (%v), want %q", c, err, tt.want)
			}
		})
	}
}

func TestVerifyIssuerAudience(t *testing.T) {
	cfg := auth.Config{Secret: testSecret, Issuer: "https://id.example", Audience: "chatd"}
	v := verifier(t, cfg)
	tests := []struct {
		name string
		c    jwt.MapClaims
		ok   bool
	}{
		{"both match", claims("iss", "https://id.example", "aud", "chatd"), true},
		{"aud array", claims("iss", "https://id.example", "aud", []string{"other", "chatd"}), true},
		{"wrong iss", claims("iss", "https://evil.example", "aud", "chatd"), false},
		{"missing iss", claims("aud", "chatd"), false},
		{"wrong aud", claims("iss", "https://id.example", "aud", "other"), false},
		{"missing aud", claims("iss", "https://id.example"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, tt.c, ""))
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && code(t, err) != auth.CodeTokenInvalid {
				t.Fatalf("err %v, want token_invalid", err)
			}
		})
	}
	// Unconfigured iss/aud are not checked.
	if _, err := verifier(t, auth.Config{Secret: testSecret}).Verify(
		sign(t, jwt.SigningMethodHS256, testSecret, claims("iss", "x", "aud", "y"), "")); err != nil {
		t.Errorf("iss/aud checked without configuration: %v", err)
	}
}

func TestVerifyClaimShapes(t *testing.T) {
	v := verifier(t, auth.Config{Secret: testSecret})
	tests := []struct {
		name      string
		c         jwt.MapClaims
		wantCode  string
		wantRooms []string // checked when wantCode is ""
	}{
		{"no rooms", claims(), "", nil},
		{"empty rooms", claims("rooms", []string{}), "", []string{}},
		{"rooms", claims("rooms", []string{"general", "team-*"}), "", []string{"general", "team-*"}},
		{"rooms string", claims("rooms", "general"), auth.CodeTokenInvalid, nil},
		{"rooms null", claims("rooms", jsonNull{}), auth.CodeTokenInvalid, nil},
		{"rooms object", claims("rooms", map[string]string{"a": "b"}), auth.CodeTokenInvalid, nil},
		{"rooms numbers", claims("rooms", []int{1}), auth.CodeTokenInvalid, nil},
		{"rooms with null", claims("rooms", []any{"a", nil}), auth.CodeTokenInvalid, nil},
		{"no sub", claims("sub", nil), auth.CodeTokenInvalid, nil},
		{"empty sub", claims("sub", ""), auth.CodeTokenInvalid, nil},
		{"numeric sub", claims("sub", 42), auth.CodeTokenInvalid, nil},
		{"numeric name", claims("name", 42), auth.CodeTokenInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, tt.c, ""))
			if c := code(t, err); c != tt.wantCode {
				t.Fatalf("code %q (%v), want %q", c, err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if (got.Rooms == nil) != (tt.wantRooms == nil) || strings.Join(got.Rooms, ",") != strings.Join(tt.wantRooms, ",") {
				t.Errorf("Rooms = %#v, want %#v", got.Rooms, tt.wantRooms)
			}
		})
	}
}

// jsonNull marshals as the JSON literal null, which a nil map value would not
// produce through MapClaims overriding.
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestVerifyMissingMalformedAndMessages(t *testing.T) {
	v := verifier(t, auth.Config{Secret: testSecret})
	good := sign(t, jwt.SigningMethodHS256, testSecret, claims(), "")
	expired := sign(t, jwt.SigningMethodHS256, testSecret, claims("exp", time.Now().Add(-time.Hour).Unix()), "")
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"empty", "", auth.CodeTokenMissing},
		{"garbage", "not-a-jwt", auth.CodeTokenInvalid},
		{"two segments", "abc.def", auth.CodeTokenInvalid},
		{"bad base64", "!!!.???.***", auth.CodeTokenInvalid},
		{"tampered payload", tamper(good), auth.CodeTokenInvalid},
		{"truncated signature", good[:len(good)-3], auth.CodeTokenInvalid},
		{"too large", good + strings.Repeat("A", auth.MaxTokenLen), auth.CodeTokenInvalid},
		{"expired", expired, auth.CodeTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(tt.token)
			if c := code(t, err); c != tt.want {
				t.Fatalf("code %q (%v), want %q", c, err, tt.want)
			}
			msg := err.(*auth.Error).Message
			if msg == "" || (tt.token != "" && strings.Contains(err.Error(), tt.token)) {
				t.Errorf("message %q is empty or leaks the token", msg)
			}
			if tt.token != "" && len(tt.token) > 20 && strings.Contains(msg, tt.token[:20]) {
				t.Errorf("message %q leaks part of the token", msg)
			}
		})
	}
}

// tamper changes the payload's subject while keeping the original signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	payload := must(base64.RawURLEncoding.DecodeString(parts[1]))
	payload = []byte(strings.Replace(string(payload), `"alice"`, `"admin"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	rsaPriv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey())})
	small := must(rsa.GenerateKey(rand.Reader, 1024))
	emptyJWKS := writeFile(t, "empty.json", []byte(`{"keys":[]}`))
	mismatched := jwksFile(t, map[string]any{"k": rsaKey().Public()},
		map[string]jwkset.JWKMetadataOptions{"k": {ALG: jwkset.AlgES256}})
	tests := []struct {
		name string
		cfg  auth.Config
	}{
		{"no source", auth.Config{}},
		{"two sources", auth.Config{Secret: testSecret, PublicKeyPEM: pemPublic(t, rsaKey().Public())}},
		{"private key PEM", auth.Config{PublicKeyPEM: rsaPriv}},
		{"not PEM", auth.Config{PublicKeyPEM: []byte("hello")}},
		{"corrupt PEM", auth.Config{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2}})}},
		{"short RSA", auth.Config{PublicKeyPEM: pemPublic(t, small.Public())}},
		{"missing JWKS", auth.Config{JWKSFile: "/nonexistent/jwks.json"}},
		{"empty JWKS", auth.Config{JWKSFile: emptyJWKS}},
		{"JWKS not JSON", auth.Config{JWKSFile: writeFile(t, "bad.json", []byte("{"))}},
		{"JWKS alg mismatch", auth.Config{JWKSFile: mismatched}},
		{"negative leeway", auth.Config{Secret: testSecret, Leeway: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := auth.NewVerifier(tt.cfg); err == nil {
				t.Fatalf("NewVerifier accepted it: %+v", v)
			}
		})
	}
}

func TestVerifierKeepsOwnSecretCopy(t *testing.T) {
	secret := []byte(string(testSecret))
	v := verifier(t, auth.Config{Secret: secret})
	secret[0] ^= 0xff
	if _, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, claims(), "")); err != nil {
		t.Fatalf("mutating the caller's secret changed the verifier: %v", err)
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	v := verifier(b, auth.Config{Secret: testSecret})
	token := sign(b, jwt.SigningMethodHS256, testSecret, claims("name", "Alice", "rooms", []string{"team-*"}), "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVerifyMessagesNameTheProblem(t *testing.T) {
	v := verifier(t, auth.Config{Secret: testSecret})
	tests := []struct {
		c    jwt.MapClaims
		want string
	}{
		{claims("rooms", "general"), "rooms"},
		{claims("sub", nil), "subject"},
		{claims("nbf", time.Now().Add(time.Hour).Unix()), "not valid yet"},
		{claims("exp", time.Now().Add(-time.Hour).Unix()), "expired"},
	}
	for _, tt := range tests {
		_, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, tt.c, ""))
		if err == nil || !strings.Contains(err.(*auth.Error).Message, tt.want) {
			t.Errorf("claims %v: error %v, want a message mentioning %q", tt.c, err, tt.want)
		}
	}
	_, err := v.Verify(sign(t, jwt.SigningMethodHS256, []byte("wrong"), claims(), ""))
	if err == nil || !strings.Contains(err.(*auth.Error).Message, "signature") {
		t.Errorf("wrong key: error %v, want a message mentioning the signature", err)
	}
}
