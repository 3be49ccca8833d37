package chat

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// unknownEventLabel counts events outside the contract under one label, so that
// clients cannot grow the label set.
const unknownEventLabel = "unknown"

// metrics are the service's Prometheus collectors. A nil *metrics records nothing.
type metrics struct {
	eventsIn     *prometheus.CounterVec
	eventsOut    *prometheus.CounterVec
	errors       *prometheus.CounterVec
	storeSeconds *prometheus.HistogramVec
	usersOnline  prometheus.Gauge
	roomsActive  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		eventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_events_in_total", Help: "Client events received, by event.",
		}, []string{"event"}),
		eventsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_events_out_total", Help: "Events emitted (a broadcast counts once), by event.",
		}, []string{"event"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_errors_total", Help: "Client events refused, by error type and code.",
		}, []string{"type", "code"}),
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatd_store_seconds", Help: "Latency of store calls, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"op"}),
		usersOnline: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatd_users_online", Help: "Users with a connected socket or within their presence grace period.",
		}),
		roomsActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatd_rooms_active", Help: "Rooms with at least one socket.",
		}),
	}
	for _, c := range []prometheus.Collector{m.eventsIn, m.eventsOut, m.errors, m.storeSeconds, m.usersOnline, m.roomsActive} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) eventIn(event string) {
	if m != nil {
		m.eventsIn.WithLabelValues(event).Inc()
	}
}

// eventInCounter returns the events_in counter of event, or nil without metrics.
func (m *metrics) eventInCounter(event string) prometheus.Counter {
	if m == nil {
		return nil
	}
	return m.eventsIn.WithLabelValues(event)
}

func (m *metrics) eventOut(event string) {
	if m != nil {
		m.eventsOut.WithLabelValues(event).Inc()
	}
}

func (m *metrics) refused(e *Error) {
	if m != nil {
		m.errors.WithLabelValues(e.Type, e.Code).Inc()
	}
}

func (m *metrics) storeCall(op string, start time.Time) {
	if m != nil {
		m.storeSeconds.WithLabelValues(op).Observe(time.Since(start).Seconds())
	}
}

func (m *metrics) usersDelta(d float64) {
	if m != nil {
		m.usersOnline.Add(d)
	}
}

func (m *metrics) roomsDelta(d float64) {
	if m != nil {
		m.roomsActive.Add(d)
	}
}
