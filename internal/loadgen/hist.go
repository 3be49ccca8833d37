package loadgen

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram counts durations in log-linear buckets, like an HDR histogram with two
// significant digits: values below 128 µs are exact to the microsecond, larger ones fall
// in buckets whose width is 1/64 of their lower bound (under 1.6% error). Record is
// lock-free, so every session's reader can share one histogram.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64 // in microseconds
}

const (
	histSubBits = 7 // 128 exact values, then 64 sub-buckets per power of two
	histHalf    = 1 << (histSubBits - 1)
	histShifts  = 64 - histSubBits // every uint64 fits
	histBuckets = histHalf * (histShifts + 2)
)

// bucketOf returns the bucket of v microseconds.
func bucketOf(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits
	return histHalf*shift + int(v>>shift)
}

// bucketLow returns the smallest value, in microseconds, of bucket i.
func bucketLow(i int) uint64 {
	if i < 1<<histSubBits {
		return uint64(i)
	}
	shift := i/histHalf - 1
	return uint64(i-histHalf*shift) << shift
}

// Record counts one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 0)
	h.counts[bucketOf(uint64(us))].Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// Count returns the number of recorded durations.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Max returns the largest recorded duration, exactly.
func (h *Histogram) Max() time.Duration {
	return time.Duration(h.max.Load()) * time.Microsecond
}

// Quantile returns the duration below which the fraction q (0 to 1) of the recorded
// durations fall: the middle of the bucket holding that rank, never above Max. It
// returns 0 when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	total := h.Count()
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	rank = min(max(rank, 1), total)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(h.bucketMid(i), h.Max())
		}
	}
	return h.Max()
}

// bucketMid returns the middle of bucket i as a duration.
func (h *Histogram) bucketMid(i int) time.Duration {
	lo := bucketLow(i)
	if i+1 >= histBuckets {
		return time.Duration(lo) * time.Microsecond
	}
	hi := bucketLow(i + 1)
	return time.Duration(lo+(hi-lo)/2) * time.Microsecond
}

// Latency is the summary of a Histogram, in milliseconds, as it appears in a Result.
type Latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// Summary returns the percentiles of h.
func (h *Histogram) Summary() Latency {
	return Latency{
		Count: h.Count(),
		P50:   ms(h.Quantile(0.50)),
		P90:   ms(h.Quantile(0.90)),
		P99:   ms(h.Quantile(0.99)),
		P999:  ms(h.Quantile(0.999)),
		Max:   ms(h.Max()),
	}
}

// ms converts d to milliseconds with microsecond resolution.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
