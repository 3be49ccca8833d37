package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chatd/internal/broker"
)

// brokerConnectTimeout bounds the first connection to the broker at startup; chatd
// starts anyway (not ready) when it runs out and keeps reconnecting.
const brokerConnectTimeout = 5 * time.Second

// newBroker returns the Redis adapter and the cluster registry when cfg selects Redis,
// or nils for the in-process memory broker (a single node).
func newBroker(ctx context.Context, cfg *Config, log *slog.Logger) (*broker.RedisAdapter, *broker.RedisRegistry, error) {
	if cfg.Broker == "memory" {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, brokerConnectTimeout)
	defer cancel()
	broker.SetRedisLogger(log)
	a, err := broker.NewRedisAdapter(ctx, cfg.Broker, log, &broker.Options{Prefix: cfg.ClusterName})
	if err != nil {
		return nil, nil, fmt.Errorf("start broker %s: %w", redactDSN(cfg.Broker), err)
	}
	r, err := broker.NewRedisRegistry(cfg.Broker, log, broker.RegistryOptions{
		Prefix: cfg.ClusterName, NodeID: a.NodeID(), TTL: cfg.NodeTTL, Grace: cfg.PresenceGrace,
	})
	if err != nil {
		_ = a.Close()
		return nil, nil, fmt.Errorf("start cluster registry %s: %w", redactDSN(cfg.Broker), err)
	}
	return a, r, nil
}

// clusterNode is a node's Redis side, closed registry first: the registry hands the
// users' grace periods to the cluster, then the adapter stops relaying.
type clusterNode struct {
	adapter  *broker.RedisAdapter
	registry *broker.RedisRegistry
}

func (c clusterNode) Close() error {
	return errors.Join(c.registry.Close(), c.adapter.Close())
}

// brokerCollector exports the adapter's counters.
type brokerCollector struct {
	a                                      *broker.RedisAdapter
	published, errors, received, delivered *prometheus.Desc
	invalid                                *prometheus.Desc
}

func newBrokerCollector(a *broker.RedisAdapter) *brokerCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("chatd_broker_"+name, help, nil, nil)
	}
	return &brokerCollector{
		a:         a,
		published: d("published_total", "Broadcasts relayed to the other nodes."),
		errors:    d("publish_errors_total", "Broadcasts not relayed: broker down, publish failed or queue full."),
		received:  d("received_total", "Broadcasts of other nodes received."),
		delivered: d("delivered_total", "Local sockets that relayed broadcasts were queued on."),
		invalid:   d("invalid_total", "Received broker payloads dropped as malformed."),
	}
}

func (c *brokerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.published, c.errors, c.received, c.delivered, c.invalid} {
		ch <- d
	}
}

func (c *brokerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.a.Stats()
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{{c.published, s.Published}, {c.errors, s.PublishErrors}, {c.received, s.Received}, {c.delivered, s.Delivered}, {c.invalid, s.Invalid}} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
