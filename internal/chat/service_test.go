package chat

import (
	"context"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestNewChecksConfigAndDeps(t *testing.T) {
	st, err := store.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := auth.NewVerifier(auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, Deps{Verifier: v}); err == nil {
		t.Error("accepted a missing store")
	}
	if _, err := New(Config{}, Deps{Store: st}); err == nil {
		t.Error("accepted a missing verifier")
	}
	if _, err := New(Config{RateBurst: -1}, Deps{Store: st, Verifier: v}); err == nil {
		t.Error("accepted a negative burst")
	}
	reg := prometheus.NewRegistry()
	svc, err := New(Config{}, Deps{Store: st, Verifier: v, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	want := Config{
		PresenceGrace: 5 * time.Second, TypingTimeout: 6 * time.Second, RateMessages: 10, RateBurst: 20,
		RateTyping: 5, RateJoins: 20, RateConnections: 20, MaxRoomsPerSocket: 100, MaxMessageBytes: 16384,
	}
	if svc.cfg != want {
		t.Errorf("defaults %+v, want %+v", svc.cfg, want)
	}
	if _, err := New(Config{}, Deps{Store: st, Verifier: v, Metrics: reg}); err == nil {
		t.Error("registered the metrics twice on one registry")
	}
}

func TestIntegrationMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarnessWith(t, Config{}, harnessOptions{metrics: reg})
	c := h.connect("alice")
	c.call("joinRoom", `"r"`)
	c.call("sendMessage", `{"roomId":"r","content":"x"}`)
	c.call("sendMessage", `{"roomId":"nope","content":"x"}`)
	c.call("whatever")
	m := h.svc.metrics
	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"events_in sendMessage", value(t, m.eventsIn.WithLabelValues("sendMessage")), 2},
		{"events_in unknown", value(t, m.eventsIn.WithLabelValues(unknownEventLabel)), 1},
		{"events_out messageSent", value(t, m.eventsOut.WithLabelValues("messageSent")), 1},
		{"errors not_in_room", value(t, m.errors.WithLabelValues(TypeValidation, CodeNotInRoom)), 1},
		{"errors unknown_event", value(t, m.errors.WithLabelValues(TypeValidation, CodeUnknownEvent)), 1},
		{"users online", value(t, m.usersOnline), 1},
		{"rooms active", value(t, m.roomsActive), 1},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	var d dto.Metric
	if err := m.storeSeconds.WithLabelValues("append").(prometheus.Metric).Write(&d); err != nil || d.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("append latency: %v %v", d.GetHistogram(), err)
	}
	c.close()
	waitUntil(t, func() bool { return h.svc.users.inGrace("alice") })
	h.clock.Advance(5 * time.Second)
	if got := value(t, m.usersOnline); got != 0 {
		t.Errorf("users online after grace = %v", got)
	}
}

// value reads a counter or gauge.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.GetCounter().GetValue()
	}
	return d.GetGauge().GetValue()
}

// waitUntil polls cond until it holds; the server handles a disconnect asynchronously.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
