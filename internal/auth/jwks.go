package auth

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/MicahParks/jwkset"
)

// loadJWKS reads a JWKS document from path. Keys marked for encryption are
// skipped; any other key chatd cannot use is a configuration error, reported now
// rather than as puzzling token refusals later. The file is read once: a rotated
// key set takes effect when a new Verifier is built.
func loadJWKS(path string) (*keySet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w", err)
	}
	var doc jwkset.JWKSMarshal
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse JWKS %s: %w", path, err)
	}
	jwks, err := doc.JWKSlice()
	if err != nil {
		return nil, fmt.Errorf("parse JWKS %s: %w", path, err)
	}
	set := &keySet{byKID: make(map[string]*verificationKey)}
	for i, jwk := range jwks {
		if err := set.addJWK(jwk); err != nil {
			return nil, fmt.Errorf("load JWKS %s key %d: %w", path, i, err)
		}
	}
	if len(set.all) == 0 {
		return nil, fmt.Errorf("load JWKS %s: no signature verification keys", path)
	}
	return set, nil
}

// addJWK adds one JWK, narrowed to its declared alg when it has one.
func (s *keySet) addJWK(jwk jwkset.JWK) error {
	meta := jwk.Marshal()
	if meta.USE == jwkset.UseEnc {
		return nil
	}
	key := jwk.Key()
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public()
	}
	vk, err := newVerificationKey(key)
	if err != nil {
		return err
	}
	if alg := meta.ALG.String(); alg != "" {
		if !vk.accepts(alg) {
			return fmt.Errorf("alg %q does not fit a %s key", alg, meta.KTY)
		}
		vk.methods = []string{alg}
	}
	if meta.KID != "" {
		if _, dup := s.byKID[meta.KID]; dup {
			return errors.New("duplicate kid " + meta.KID)
		}
		s.byKID[meta.KID] = vk
	}
	s.all = append(s.all, vk)
	return nil
}
