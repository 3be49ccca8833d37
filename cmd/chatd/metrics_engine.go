package main

import (
	"github.com/chatd/chatd/internal/engineio"
	"github.com/prometheus/client_golang/prometheus"
)

// engineStatser is what a socketio.Server offers when it exposes the counters of its
// Engine.IO layer; registerEngineMetrics exports them only then, so this binary
// builds whether or not the protocol layer has the method yet.
type engineStatser interface {
	EngineStats() engineio.Stats
}

// registerEngineMetrics exports the transport counters of src when it has them.
func registerEngineMetrics(reg prometheus.Registerer, src any) {
	if s, ok := src.(engineStatser); ok {
		reg.MustRegister(newEngineCollector(s.EngineStats))
	}
}

// engineCollector exports engineio.Stats, read once per scrape.
type engineCollector struct {
	stats                     func() engineio.Stats
	opened, upgrades, in, out *prometheus.Desc
	closed, congested         *prometheus.Desc
}

func newEngineCollector(stats func() engineio.Stats) *engineCollector {
	return &engineCollector{
		stats:    stats,
		opened:   prometheus.NewDesc("chatd_engine_sessions_opened_total", "Engine.IO handshakes that opened a session.", nil, nil),
		upgrades: prometheus.NewDesc("chatd_engine_upgrades_total", "Polling sessions upgraded to WebSocket.", nil, nil),
		in:       prometheus.NewDesc("chatd_engine_messages_in_total", "Engine.IO messages received.", nil, nil),
		out:      prometheus.NewDesc("chatd_engine_messages_out_total", "Engine.IO messages written.", nil, nil),
		closed: prometheus.NewDesc("chatd_engine_sessions_closed_total",
			"Engine.IO sessions closed, by reason; \"slow consumer\" counts clients cut for not reading.",
			[]string{"reason"}, nil),
		congested: prometheus.NewDesc("chatd_engine_sessions_congested",
			"Sessions whose send backlog is above a quarter of the send queue now: clients falling behind.", nil, nil),
	}
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.opened, c.upgrades, c.in, c.out, c.closed, c.congested} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(c.congested, prometheus.GaugeValue, float64(st.SessionsCongested))
	for _, k := range []struct {
		desc *prometheus.Desc
		v    uint64
	}{{c.opened, st.SessionsOpened}, {c.upgrades, st.Upgrades}, {c.in, st.MessagesIn}, {c.out, st.MessagesOut}} {
		ch <- prometheus.MustNewConstMetric(k.desc, prometheus.CounterValue, float64(k.v))
	}
	for _, k := range []struct {
		reason engineio.CloseReason
		v      uint64
	}{
		{engineio.CloseReasonTransportClose, st.ClosedTransportClose},
		{engineio.CloseReasonTransportError, st.ClosedTransportError},
		{engineio.CloseReasonPingTimeout, st.ClosedPingTimeout},
		{engineio.CloseReasonParseError, st.ClosedParseError},
		{engineio.CloseReasonForced, st.ClosedForced},
		{engineio.CloseReasonSlowConsumer, st.ClosedSlowConsumer},
		{engineio.CloseReasonServerShutdown, st.ClosedServerShutdown},
	} {
		ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(k.v), k.reason.String())
	}
}
