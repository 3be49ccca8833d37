package main

import (
	"testing"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeEngine offers EngineStats like a socketio.Server that exposes them.
type fakeEngine struct{ st engineio.Stats }

func (f *fakeEngine) EngineStats() engineio.Stats { return f.st }

// gather returns the counter and gauge values of reg by metric name and, for labelled
// series, "name{value}" with the first label's value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			if len(m.GetLabel()) > 0 {
				key += "{" + m.GetLabel()[0].GetValue() + "}"
			}
			out[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out
}

func TestEngineMetrics(t *testing.T) {
	src := &fakeEngine{st: engineio.Stats{
		SessionsOpened: 7, Upgrades: 3, MessagesIn: 11, MessagesOut: 13,
		ClosedSlowConsumer: 2, ClosedPingTimeout: 1, SessionsCongested: 5,
	}}
	reg := prometheus.NewPedanticRegistry()
	registerEngineMetrics(reg, src)
	got := gather(t, reg)
	want := map[string]float64{
		"chatd_engine_sessions_opened_total":                       7,
		"chatd_engine_upgrades_total":                              3,
		"chatd_engine_messages_in_total":                           11,
		"chatd_engine_messages_out_total":                          13,
		"chatd_engine_sessions_closed_total{slow consumer}":        2,
		"chatd_engine_sessions_closed_total{ping timeout}":         1,
		"chatd_engine_sessions_closed_total{transport close}":      0,
		"chatd_engine_sessions_closed_total{server shutting down}": 0,
		"chatd_engine_sessions_congested":                          5,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if len(got) != 12 { // 4 counters + 7 close reasons + the congestion gauge
		t.Errorf("got %d series, want 12: %v", len(got), got)
	}
}

func TestEngineMetricsNeedTheMethod(t *testing.T) {
	reg := prometheus.NewRegistry()
	registerEngineMetrics(reg, struct{}{})
	if got := gather(t, reg); len(got) != 0 {
		t.Fatalf("registered metrics for a source without EngineStats: %v", got)
	}
}
