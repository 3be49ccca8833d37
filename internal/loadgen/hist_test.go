package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, 12345, 1 << 20, 1<<40 + 17, math.MaxUint64} {
		i := bucketOf(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		if i < prev {
			t.Errorf("bucketOf(%d) = %d, below the bucket of a smaller value (%d)", v, i, prev)
		}
		prev = i
		lo := bucketLow(i)
		if lo > v {
			t.Errorf("bucket %d of %d starts at %d, above the value", i, v, lo)
		}
		if i+1 < histBuckets && bucketLow(i+1) <= v {
			t.Errorf("bucket %d of %d ends at %d, not above the value", i, v, bucketLow(i+1))
		}
		if v >= 128 && float64(v-lo)/float64(v) > 1.0/64 {
			t.Errorf("bucket of %d starts at %d: error above 1/64", v, lo)
		}
	}
	for v := uint64(0); v < 128; v++ {
		if bucketLow(bucketOf(v)) != v {
			t.Fatalf("values under 128 µs must be exact; %d falls in a bucket starting at %d", v, bucketLow(bucketOf(v)))
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	// 1 ms … 1000 ms, one sample each: the q-quantile is q seconds.
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 500 * time.Millisecond},
		{0.9, 900 * time.Millisecond},
		{0.99, 990 * time.Millisecond},
		{1, 1000 * time.Millisecond},
	} {
		got := h.Quantile(tt.q)
		if diff := math.Abs(float64(got-tt.want)) / float64(tt.want); diff > 0.02 {
			t.Errorf("Quantile(%v) = %v, want %v within 2%%", tt.q, got, tt.want)
		}
	}
	if h.Max() != time.Second {
		t.Errorf("Max = %v, want exactly 1s", h.Max())
	}
	if h.Count() != 1000 {
		t.Errorf("Count = %d, want 1000", h.Count())
	}
}

func TestHistogramSkewed(t *testing.T) {
	var h Histogram
	for range 990 {
		h.Record(100 * time.Microsecond)
	}
	for range 10 {
		h.Record(50 * time.Millisecond)
	}
	s := h.Summary()
	if s.P50 != 0.1 || s.P90 != 0.1 {
		t.Errorf("p50 %v p90 %v, want 0.1 ms (exact below 128 µs)", s.P50, s.P90)
	}
	if s.P99 != 0.1 {
		t.Errorf("p99 %v: the 990th of 1000 samples is 0.1 ms", s.P99)
	}
	if s.P999 < 49 || s.P999 > 50 || s.Max != 50 {
		t.Errorf("p99.9 %v max %v, want about 50 ms", s.P999, s.Max)
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Max() != 0 {
		t.Fatal("an empty histogram must report zeros")
	}
	h.Record(-time.Second) // a clock step must not corrupt the histogram
	if h.Count() != 1 || h.Quantile(1) != 0 {
		t.Errorf("negative durations must count as zero: count %d q1 %v", h.Count(), h.Quantile(1))
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	for i := range b.N {
		h.Record(time.Duration(i%5000) * time.Microsecond)
	}
}
