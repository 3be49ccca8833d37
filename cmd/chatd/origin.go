package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originPolicy decides which browser origins may open Engine.IO sessions. It guards
// against cross-site WebSocket hijacking: a page on another site must not ride on the
// cookies a browser would send along. Requests without an Origin header (non-browser
// clients) never reach it; engineio lets them through.
type originPolicy struct {
	allowed map[string]bool // normalized "scheme://host[:port]" origins listed by the operator
	// listed is false for the default policy: same origin, plus localhost when
	// localhost is true.
	listed    bool
	localhost bool
}

// newOriginPolicy parses CHATD_ALLOWED_ORIGINS. It returns nil when every origin is
// allowed ("*"), which is what engineio.Config.AllowOrigin takes to mean so.
func newOriginPolicy(list string, dev bool) (*originPolicy, error) {
	p := &originPolicy{allowed: map[string]bool{}, localhost: dev}
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		switch {
		case entry == "":
			continue
		case entry == "*":
			return nil, nil
		}
		o, err := normalizeOrigin(strings.TrimSuffix(entry, "/"))
		if err != nil {
			return nil, fmt.Errorf("invalid origin %q: %w", entry, err)
		}
		p.allowed[o] = true
		p.listed = true
	}
	return p, nil
}

// allow is an engineio.Config.AllowOrigin.
func (p *originPolicy) allow(origin string, r *http.Request) bool {
	scheme, host, err := parseOrigin(origin)
	if err != nil {
		return false // "null" (sandboxed frames, file://) and garbage
	}
	if p.listed {
		return p.allowed[scheme+"://"+host]
	}
	if p.localhost && isLoopbackHost(hostname(host)) {
		return true
	}
	// Same origin compares hosts only: behind a TLS-terminating proxy the request is
	// plain HTTP while the page is https, so schemes cannot be compared.
	return strings.EqualFold(host, stripDefaultPort(r.Host, scheme))
}

// normalizeOrigin returns origin as browsers serialize it: lower-case scheme and host,
// no default port, no path.
func normalizeOrigin(origin string) (string, error) {
	scheme, host, err := parseOrigin(origin)
	if err != nil {
		return "", err
	}
	return scheme + "://" + host, nil
}

// parseOrigin splits a serialized origin into its lower-case scheme and host, the
// host without the scheme's default port.
func parseOrigin(origin string) (scheme, host string, err error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", "", errors.New("not a URL")
	}
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", "", errors.New("want scheme://host[:port]")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", errors.New("an origin has no user, path, query or fragment")
	}
	scheme = strings.ToLower(u.Scheme)
	return scheme, stripDefaultPort(strings.ToLower(u.Host), scheme), nil
}

// hostname returns host without its port and IPv6 brackets.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// stripDefaultPort removes the port of host when it is the default one of scheme.
func stripDefaultPort(host, scheme string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return host
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// isLoopbackHost reports whether host names this machine: localhost, 127.0.0.1, ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
