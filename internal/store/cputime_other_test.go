//go:build !unix

package store_test

import "time"

// cpuTime is unavailable here; the cpu-µs/op metric then reads 0.
func cpuTime() time.Duration { return 0 }
