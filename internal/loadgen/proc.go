package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ), which is 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// cpuSample is a process's CPU time consumed so far, read at a wall-clock instant.
type cpuSample struct {
	at  time.Time
	cpu time.Duration // user + system
}

// selfCPU samples the generator's own CPU time.
func selfCPU() cpuSample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail with valid arguments
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpuSample{at: time.Now(), cpu: cpu}
}

// procCPU samples the CPU time of process pid from /proc/PID/stat.
func procCPU(pid int) (cpuSample, error) {
	at := time.Now()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuSample{}, fmt.Errorf("read process stat: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces: fields are
	// counted from after its closing parenthesis, which is field 3 (state).
	paren := bytes.LastIndexByte(b, ')')
	if paren < 0 {
		return cpuSample{}, fmt.Errorf("parse process stat: no command name")
	}
	fields := bytes.Fields(b[paren+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return cpuSample{}, fmt.Errorf("parse process stat: %d fields", len(fields))
	}
	u, err1 := strconv.ParseInt(string(fields[utime]), 10, 64)
	s, err2 := strconv.ParseInt(string(fields[stime]), 10, 64)
	if err1 != nil || err2 != nil {
		return cpuSample{}, fmt.Errorf("parse process stat: bad CPU times")
	}
	return cpuSample{at: at, cpu: time.Duration(u+s) * time.Second / clockTicks}, nil
}

// cpuPercent returns the CPU used between two samples as a percentage of one core.
func cpuPercent(from, to cpuSample) float64 {
	wall := to.at.Sub(from.at)
	if wall <= 0 {
		return 0
	}
	return round(100*float64(to.cpu-from.cpu)/float64(wall), 1)
}

// memSample is a process's resident memory, in KiB.
type memSample struct {
	rss, peak int64 // VmRSS and VmHWM
}

// procMem reads the resident memory of process pid from /proc/PID/status.
func procMem(pid int) (memSample, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memSample{}, fmt.Errorf("read process status: %w", err)
	}
	defer f.Close()
	var m memSample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			m.rss = parseKB(line)
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			m.peak = parseKB(line)
		}
	}
	if err := sc.Err(); err != nil {
		return memSample{}, fmt.Errorf("read process status: %w", err)
	}
	return m, nil
}

// parseKB parses a /proc status line such as "VmRSS:	  12345 kB"; 0 when malformed.
func parseKB(line []byte) int64 {
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(string(fields[1]), 10, 64)
	return n
}
