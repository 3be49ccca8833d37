//go:build unix

package store_test

import (
	"syscall"
	"time"
)

// cpuTime returns the user+system CPU time the process has used so far. Its growth
// per op is a steadier measure than wall time on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
