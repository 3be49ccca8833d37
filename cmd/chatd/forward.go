package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chatd/internal/broker"
	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// enableForwarding makes this node relay the requests of other nodes' polling
// sessions (polls, POSTs, upgrades) to them, so that clients work behind a load
// balancer without sticky sessions. It needs the Redis broker (relay, nil with the
// memory broker), which holds the session directory, and a URL at which the other
// nodes reach this one; without either, forwarding stays off and the log says why.
// It sets sc.Engine.Forward and registers the forwarding counters on reg.
func enableForwarding(cfg *Config, relay *broker.RedisAdapter, sc *socketio.Config, reg prometheus.Registerer, log *slog.Logger) error {
	self, why, err := advertiseURL(cfg)
	if err != nil {
		return &configError{fmt.Errorf("%s: %w", settingName("advertise-url"), err)}
	}
	switch {
	case relay == nil:
		if cfg.AdvertiseURL != "" {
			log.Info("session forwarding off: it needs a Redis broker", "advertise_url", self)
		}
		return nil
	case self == "":
		log.Info("session forwarding off: polling clients need sticky sessions", "reason", why)
		return nil
	}
	dir, err := relay.NewDirectory(self, nil)
	if err != nil {
		return fmt.Errorf("start session forwarding: %w", err)
	}
	fwd := engineio.NewForwarder(dir, log.With("component", "engineio"))
	sc.Engine.Forward = fwd
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "chatd_engine_forwarded_total",
			Help: "Requests of other nodes' polling sessions relayed to their owner.",
		}, func() float64 { return float64(fwd.Stats().Forwarded) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "chatd_engine_forward_failures_total",
			Help: "Relays that failed because the owner was unreachable; the client got 400 and reconnects.",
		}, func() float64 { return float64(fwd.Stats().Failed) }),
	)
	log.Info("session forwarding on", "advertise_url", self)
	return nil
}

// advertiseURL returns the base URL at which the other nodes reach this one:
// --advertise-url, else one made of --addr when it names a host and a port. When
// there is none it returns "" and why.
func advertiseURL(cfg *Config) (self, why string, err error) {
	if cfg.AdvertiseURL != "" {
		u, err := url.Parse(cfg.AdvertiseURL)
		switch {
		case err != nil:
			return "", "", fmt.Errorf("parse: %w", err)
		case u.Scheme != "http" && u.Scheme != "https":
			return "", "", errors.New("want an http:// or https:// URL")
		case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
			return "", "", errors.New("want scheme://host[:port][/path] only")
		}
		return strings.TrimSuffix(cfg.AdvertiseURL, "/"), "", nil
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "0" {
		return "", settingName("addr") + " names no host (or port 0); set " + settingName("advertise-url"), nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return "", settingName("addr") + " is a wildcard address; set " + settingName("advertise-url"), nil
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), "", nil
}
