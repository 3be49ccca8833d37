package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus accepted; shorter keys are forgeable.
const minRSABits = 2048

// Algorithm families. A key only ever verifies the family matching its type, which
// is what defeats algorithm confusion (e.g. an HS256 token "signed" with the bytes of
// an RSA public key).
var (
	// The contract names HS256 for shared secrets; HS384/HS512 are refused so a
	// client cannot rely on something another deployment of the contract rejects.
	hmacMethods  = []string{"HS256"}
	rsaMethods   = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	eddsaMethods = []string{"EdDSA"}
)

var (
	errUnknownKey = errors.New("no key for token")
	errKeyMethod  = errors.New("key does not accept token algorithm")
)

// verificationKey is one public key (or secret) and the algorithms it may verify.
type verificationKey struct {
	key     any
	methods []string
}

func (k *verificationKey) accepts(alg string) bool { return slices.Contains(k.methods, alg) }

// newVerificationKey checks key is a usable verification key and derives its
// algorithms from its type (and, for ECDSA, its curve).
func newVerificationKey(key any) (*verificationKey, error) {
	methods, err := methodsForKey(key)
	if err != nil {
		return nil, err
	}
	return &verificationKey{key: key, methods: methods}, nil
}

func methodsForKey(key any) ([]string, error) {
	switch k := key.(type) {
	case []byte:
		if len(k) == 0 {
			return nil, errors.New("empty secret")
		}
		return hmacMethods, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, want at least %d", k.N.BitLen(), minRSABits)
		}
		return rsaMethods, nil
	case *ecdsa.PublicKey:
		return ecdsaMethods(k.Curve)
	case ed25519.PublicKey:
		return eddsaMethods, nil
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
}

// ecdsaMethods pins each curve to its one algorithm (RFC 7518 §3.4).
func ecdsaMethods(c elliptic.Curve) ([]string, error) {
	switch c {
	case elliptic.P256():
		return []string{"ES256"}, nil
	case elliptic.P384():
		return []string{"ES384"}, nil
	case elliptic.P521():
		return []string{"ES512"}, nil
	default:
		return nil, fmt.Errorf("unsupported ECDSA curve %s", c.Params().Name)
	}
}

// keySet is a Verifier's immutable set of keys: either one key (secret or PEM) or
// the keys of a JWKS document.
type keySet struct {
	single *verificationKey            // set for a secret or PEM source
	byKID  map[string]*verificationKey // JWKS keys that have a kid
	all    []*verificationKey          // every JWKS key, tried for tokens without kid
}

// methods lists every algorithm some key accepts, for jwt.WithValidMethods.
func (s *keySet) methods() []string {
	if s.single != nil {
		return s.single.methods
	}
	var out []string
	for _, k := range s.all {
		for _, m := range k.methods {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// keyfunc picks the key for token: the single key, the JWKS key named by kid, or
// every JWKS key that accepts the token's algorithm when there is no kid.
func (s *keySet) keyfunc(token *jwt.Token) (any, error) {
	alg := token.Method.Alg()
	if s.single != nil {
		return keyFor(s.single, alg)
	}
	if raw, ok := token.Header["kid"]; ok {
		kid, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("read kid: %w", errUnknownKey)
		}
		return keyFor(s.byKID[kid], alg)
	}
	var set jwt.VerificationKeySet
	for _, k := range s.all {
		if k.accepts(alg) {
			set.Keys = append(set.Keys, k.key)
		}
	}
	if len(set.Keys) == 0 {
		return nil, errUnknownKey
	}
	return set, nil
}

func keyFor(k *verificationKey, alg string) (any, error) {
	switch {
	case k == nil:
		return nil, errUnknownKey
	case !k.accepts(alg):
		return nil, errKeyMethod
	default:
		return k.key, nil
	}
}
