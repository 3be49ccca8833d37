package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chatd/internal/broker"
	"github.com/chatd/chatd/internal/socketio"
)

// useClusterRecovery keeps connection-state recovery's sessions and broadcasts in the
// Redis of the broker, so that a socket recovers on whichever node it reconnects to.
// It does nothing when recovery is off or the broker is in process (relay nil): the
// server's in-process store then serves the one node. The socket's value (the chat
// client) is not carried across: the chat middleware, which runs again on recovery,
// rebuilds it from the token.
func useClusterRecovery(sc *socketio.Config, relay *broker.RedisAdapter, reg prometheus.Registerer) {
	if sc.Recovery == nil || relay == nil {
		return
	}
	store := broker.NewRedisRecovery(relay, &broker.RecoveryOptions{Window: sc.Recovery.MaxDisconnection})
	sc.Recovery.Store = store
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "chatd_recovery_log_failures_total",
		Help: "Broadcasts not written to the cluster's recovery log: broker down, queue full or write failed.",
	}, func() float64 { return float64(store.Failed()) }))
}
