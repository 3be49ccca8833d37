package main

import (
	"github.com/chatd/chatd/internal/socketio"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry returns the registry served at /metrics, with the Go runtime, process
// and build collectors; the chat service and socketCollector add chatd's own.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return reg
}

// socketCollector exports the protocol layer's counters. It reads one Stats snapshot
// per scrape, so serving pays nothing for the metrics.
type socketCollector struct {
	sio *socketio.Server

	connections, sockets                        *prometheus.Desc
	connects, disconnects                       *prometheus.Desc
	eventsIn, eventsOut, broadcasts, sendErrors *prometheus.Desc
}

func newSocketCollector(sio *socketio.Server) *socketCollector {
	ns := []string{"namespace"}
	return &socketCollector{
		sio:         sio,
		connections: prometheus.NewDesc("chatd_connections", "Open Engine.IO sessions.", nil, nil),
		sockets:     prometheus.NewDesc("chatd_sockets", "Sockets connected to a namespace.", ns, nil),
		connects:    prometheus.NewDesc("chatd_socket_connects_total", "Sockets that connected to a namespace.", ns, nil),
		disconnects: prometheus.NewDesc("chatd_socket_disconnects_total", "Sockets that left a namespace.", ns, nil),
		eventsIn:    prometheus.NewDesc("chatd_socketio_events_in_total", "Socket.IO events received from clients.", ns, nil),
		eventsOut: prometheus.NewDesc("chatd_socketio_events_out_total",
			"Socket.IO event and ack packets queued on sessions; a broadcast to n sockets counts n.", ns, nil),
		broadcasts: prometheus.NewDesc("chatd_socketio_broadcasts_total", "Broadcasts, each encoded once.", ns, nil),
		sendErrors: prometheus.NewDesc("chatd_socketio_send_errors_total",
			"Packets a session refused because it was closed or its send queue was full.", ns, nil),
	}
}

func (c *socketCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.sockets, c.connects, c.disconnects,
		c.eventsIn, c.eventsOut, c.broadcasts, c.sendErrors} {
		ch <- d
	}
}

func (c *socketCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.sio.Stats()
	ch <- prometheus.MustNewConstMetric(c.connections, prometheus.GaugeValue, float64(st.Connections))
	for _, n := range st.Namespaces {
		ch <- prometheus.MustNewConstMetric(c.sockets, prometheus.GaugeValue, float64(n.Sockets), n.Name)
		counters := []struct {
			desc *prometheus.Desc
			v    uint64
		}{
			{c.connects, n.Connects}, {c.disconnects, n.Disconnects}, {c.eventsIn, n.EventsIn},
			{c.eventsOut, n.EventsOut}, {c.broadcasts, n.Broadcasts}, {c.sendErrors, n.SendErrors},
		}
		for _, k := range counters {
			ch <- prometheus.MustNewConstMetric(k.desc, prometheus.CounterValue, float64(k.v), n.Name)
		}
	}
}
