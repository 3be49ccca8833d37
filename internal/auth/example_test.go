package auth_test

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/chatd/chatd/internal/auth"
)

func Example() {
	secret := []byte("a development secret of 32 bytes")
	token, err := auth.Mint(secret, auth.MintOptions{Subject: "alice", Rooms: []string{"team-*"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The handshake carried the token in a cookie only.
	header := http.Header{"Cookie": {"token=" + token}}
	claims, err := v.Verify(auth.TokenFrom("", url.Values{}, header))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Subject, claims.AllowsRoom("team-red"), claims.AllowsRoom("general"))

	_, err = v.Verify(auth.TokenFrom("", nil, nil))
	fmt.Println(err)
	// Output:
	// alice true false
	// token_missing: no token presented
}
