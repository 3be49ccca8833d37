package loadgen

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Result is the outcome of one run, printed as one JSON line by "chatd bench". Exactly
// one of the scenario sections is set.
type Result struct {
	Scenario string    `json:"scenario"`
	URLs     []string  `json:"urls"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"` // length of the measured window
	// OK reports whether the run saw no error of any kind: no loss, no duplicate, no
	// refused event, no dropped connection.
	OK          bool              `json:"ok"`
	Errors      map[string]uint64 `json:"errors"` // count by kind; empty when OK
	ErrorSample string            `json:"error_sample,omitempty"`

	Generator Usage          `json:"generator"`
	Server    *ProcessUsage  `json:"server,omitempty"`  // with Options.ServerPIDs: their sum
	Servers   []ProcessUsage `json:"servers,omitempty"` // with several ServerPIDs: each one
	Watched   []ProcessUsage `json:"watched,omitempty"` // Options.WatchPIDs, each one

	Fanout  *FanoutResult  `json:"fanout,omitempty"`
	Idle    *IdleResult    `json:"idle,omitempty"`
	Connect *ConnectResult `json:"connect,omitempty"`
	History *HistoryResult `json:"history,omitempty"`
}

// Usage is the generator's own CPU use over the measured window. Near 100% means the
// generator, not the server, was the limit.
type Usage struct {
	CPUPercent float64 `json:"cpu_pct"` // of one core
}

// ProcessUsage is a process's CPU and memory over the measured window, or the sum over
// several processes (PID is then 0).
type ProcessUsage struct {
	PID        int     `json:"pid,omitempty"`
	CPUPercent float64 `json:"cpu_pct"` // of one core
	RSSStartKB int64   `json:"rss_start_kb"`
	RSSEndKB   int64   `json:"rss_end_kb"`
	RSSPeakKB  int64   `json:"rss_peak_kb"` // VmHWM: the peak since the server started
}

// errorCounts counts errors by kind and keeps the first message seen. Errors are rare
// by design, so one mutex is enough.
type errorCounts struct {
	mu     sync.Mutex
	counts map[string]uint64 // guarded by mu
	sample string            // guarded by mu
}

func newErrorCounts() *errorCounts {
	return &errorCounts{counts: make(map[string]uint64)}
}

// add counts n errors of kind; detail, when not empty, may become the sample.
func (e *errorCounts) add(kind string, n uint64, detail string) {
	if n == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[kind] += n
	if e.sample == "" && detail != "" {
		e.sample = kind + ": " + detail
	}
}

// total returns the number of errors counted so far.
func (e *errorCounts) total() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var n uint64
	for _, c := range e.counts {
		n += c
	}
	return n
}

// fill copies the counts into res.
func (e *errorCounts) fill(res *Result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	res.Errors = maps.Clone(e.counts)
	res.ErrorSample = e.sample
	res.OK = len(e.counts) == 0
}

// WriteSummary writes a short human summary of res.
func (res *Result) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "%s against %s, %.1fs measured\n", res.Scenario, strings.Join(res.URLs, ", "), res.Seconds)
	switch {
	case res.Fanout != nil:
		res.Fanout.writeSummary(w)
	case res.Idle != nil:
		res.Idle.writeSummary(w)
	case res.Connect != nil:
		res.Connect.writeSummary(w)
	case res.History != nil:
		res.History.writeSummary(w)
	}
	fmt.Fprintf(w, "  generator CPU %.0f%% of a core", res.Generator.CPUPercent)
	if res.Generator.CPUPercent > 90 {
		fmt.Fprint(w, " — the generator was the limit, not the server")
	}
	fmt.Fprintln(w)
	if s := res.Server; s != nil {
		writeUsage(w, "server", *s)
	}
	for _, s := range res.Servers {
		writeUsage(w, "  node", s)
	}
	for _, s := range res.Watched {
		writeUsage(w, "watched", s)
	}
	if res.OK {
		fmt.Fprintln(w, "  errors: none")
		return
	}
	for _, k := range slices.Sorted(maps.Keys(res.Errors)) {
		fmt.Fprintf(w, "  ERROR %s: %d\n", k, res.Errors[k])
	}
	if res.ErrorSample != "" {
		fmt.Fprintf(w, "  first error: %s\n", res.ErrorSample)
	}
}

// writeUsage writes one process's (or a sum's) CPU and memory.
func writeUsage(w io.Writer, name string, u ProcessUsage) {
	if u.PID > 0 {
		name = fmt.Sprintf("%s (pid %d)", name, u.PID)
	}
	fmt.Fprintf(w, "  %s CPU %.0f%% of a core, RSS %s → %s (peak %s)\n",
		name, u.CPUPercent, kb(u.RSSStartKB), kb(u.RSSEndKB), kb(u.RSSPeakKB))
}

// writeLatency writes one latency line.
func writeLatency(w io.Writer, name string, l Latency) {
	fmt.Fprintf(w, "  %-9s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (%d samples)\n",
		name, l.P50, l.P90, l.P99, l.Max, l.Count)
}

// kb formats a size in KiB.
func kb(n int64) string {
	if n >= 10*1024 {
		return fmt.Sprintf("%.1f MiB", float64(n)/1024)
	}
	return fmt.Sprintf("%d KiB", n)
}

// perSecond returns n over d, as a rate with one decimal.
func perSecond(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round(float64(n)/d.Seconds(), 1)
}

// round rounds x to the given number of decimals, to keep the JSON line readable.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}
