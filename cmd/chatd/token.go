package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/auth"
)

const tokenUsage = `Usage: chatd token --sub ID [--name NAME] [--rooms PATTERNS] [--ttl DURATION] [settings]

Prints a development token (HS256) signed with the configured secret: CHATD_JWT_SECRET,
or else the secret generated in the data directory (created if needed, and picked up
by a server started with the same settings).
`

// token runs "chatd token": it mints a token and prints it alone on stdout, so that
// TOKEN=$(chatd token --sub alice) works.
func (c *cli) token(args []string) int {
	fs := flag.NewFlagSet("chatd token", flag.ContinueOnError)
	var cfg Config
	bindConfig(fs, &cfg)
	var o auth.MintOptions
	var rooms string
	fs.StringVar(&o.Subject, "sub", "", "user id, the sub claim (required)")
	fs.StringVar(&o.Name, "name", "", "display name, the name claim")
	fs.StringVar(&rooms, "rooms", "", "comma-separated room patterns the user may join (* wildcard); empty: any room")
	durationVar(fs, &o.TTL, "ttl", time.Hour, "lifetime of the token")
	if code, done := c.parseCommand(fs, &cfg, args, tokenUsage); done {
		return code
	}
	if o.Subject == "" {
		return c.usageError(errors.New("--sub is required"))
	}
	if o.TTL <= 0 {
		return c.usageError(fmt.Errorf("--ttl must be positive, got %v", o.TTL))
	}
	o.Rooms = splitList(rooms)
	secret, err := c.mintingSecret(&cfg)
	if err != nil {
		return c.fail(err)
	}
	tok, err := auth.Mint(secret, o)
	if err != nil {
		return c.fail(fmt.Errorf("mint token: %w", err))
	}
	fmt.Fprintln(c.stdout, tok)
	return exitOK
}

// mintingSecret resolves the HS256 secret exactly as serve does.
func (c *cli) mintingSecret(cfg *Config) ([]byte, error) {
	ac, keyless, err := authConfig(cfg)
	if err != nil {
		return nil, err
	}
	if !keyless {
		if ac.Secret == nil {
			return nil, &configError{errors.New("chatd token signs HS256 tokens with a shared secret; " +
				"the server is configured for public-key tokens, which only their issuer can mint")}
		}
		return ac.Secret, nil
	}
	secret, path, created, err := devSecret(cfg)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(c.stderr, "chatd: created a development secret in %s\n", path)
	}
	return secret, nil
}

// splitList splits a comma-separated list, dropping blanks; "" gives nil.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
