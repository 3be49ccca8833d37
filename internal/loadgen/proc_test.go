package loadgen

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestProcSelf(t *testing.T) {
	pid := os.Getpid()
	from, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	self0 := selfCPU()
	// Burn some CPU so that both clocks move.
	deadline := time.Now().Add(300 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		n++
	}
	to, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if to.cpu <= from.cpu {
		t.Errorf("/proc CPU time did not move: %v → %v", from.cpu, to.cpu)
	}
	if pct := cpuPercent(self0, selfCPU()); pct <= 1 { // > 1: a loaded machine may lend us little
		t.Errorf("getrusage says %.1f%% of a core while spinning", pct)
	}
	m, err := procMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.rss <= 0 || m.peak < m.rss {
		t.Errorf("memory %+v: want RSS > 0 and peak ≥ RSS", m)
	}
}

func TestProcMissing(t *testing.T) {
	if _, err := procCPU(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
	if _, err := procMem(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}

func TestCPUPercent(t *testing.T) {
	at := time.Now()
	from := cpuSample{at: at, cpu: time.Second}
	to := cpuSample{at: at.Add(2 * time.Second), cpu: 2 * time.Second}
	if got := cpuPercent(from, to); got != 50 {
		t.Errorf("1s of CPU in 2s = %v%%, want 50", got)
	}
	if got := cpuPercent(to, to); got != 0 {
		t.Errorf("no time elapsed: %v, want 0", got)
	}
}

func TestParseGoroutines(t *testing.T) {
	exposition := "# HELP go_goroutines Number of goroutines\n# TYPE go_goroutines gauge\ngo_goroutines 1234\ngo_threads 9\n"
	if n, ok := parseGoroutines(strings.NewReader(exposition)); !ok || n != 1234 {
		t.Errorf("parseGoroutines = %d %v, want 1234", n, ok)
	}
	if _, ok := parseGoroutines(strings.NewReader("go_threads 9\n")); ok {
		t.Error("found goroutines where there are none")
	}
}
