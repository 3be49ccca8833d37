package auth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// parsePublicKeyPEM returns the public key of the first key-bearing PEM block:
// "PUBLIC KEY" (PKIX), "RSA PUBLIC KEY" (PKCS #1) or "CERTIFICATE". A private key
// is refused rather than silently reduced to its public half, because shipping it
// to the chat server is almost certainly a deployment mistake.
func parsePublicKeyPEM(data []byte) (any, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("parse public key PEM: no public key block found")
		}
		switch {
		case block.Type == "PUBLIC KEY":
			return wrapPEM(x509.ParsePKIXPublicKey(block.Bytes))
		case block.Type == "RSA PUBLIC KEY":
			return wrapPEM(x509.ParsePKCS1PublicKey(block.Bytes))
		case block.Type == "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse certificate PEM: %w", err)
			}
			return cert.PublicKey, nil
		case strings.Contains(block.Type, "PRIVATE KEY"):
			return nil, errors.New("parse public key PEM: file holds a private key; configure the public key instead")
		}
	}
}

func wrapPEM[K any](key K, err error) (any, error) {
	if err != nil {
		return nil, fmt.Errorf("parse public key PEM: %w", err)
	}
	return key, nil
}
