package loadgen

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// hold waits for d, or until ctx is done, drawing a progress bar labelled label with
// the line status returns, once a second, when progress is not nil. It reports whether
// the whole of d passed.
func hold(ctx context.Context, progress io.Writer, label string, d time.Duration, status func() string) bool {
	start := time.Now()
	end := time.NewTimer(d)
	defer end.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			drawBar(progress, label, time.Since(start), d, status, true)
			return false
		case <-end.C:
			drawBar(progress, label, d, d, status, true)
			return true
		case <-tick.C:
			drawBar(progress, label, time.Since(start), d, status, false)
		}
	}
}

// barWidth is the number of cells of the progress bar.
const barWidth = 20

// drawBar redraws the progress line in place; last ends it with a newline.
func drawBar(w io.Writer, label string, done, total time.Duration, status func() string, last bool) {
	if w == nil {
		return
	}
	filled := barWidth
	if total > 0 && done < total {
		filled = int(int64(barWidth) * int64(done) / int64(total))
	}
	line := fmt.Sprintf("\r%-8s [%s%s] %3.0fs/%.0fs  %s",
		label, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		done.Seconds(), total.Seconds(), status())
	// Pad so a shorter line erases the end of a longer one.
	fmt.Fprintf(w, "%-110s", line)
	if last {
		fmt.Fprintln(w)
	}
}

// waitFor polls cond every 20ms until it holds, drawing progress every second; it
// returns ctx's error if ctx ends first.
func waitFor(ctx context.Context, progress io.Writer, label string, cond func() bool, status func() string) error {
	start, drawn := time.Now(), time.Now()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-poll.C:
		}
		if progress != nil && time.Since(drawn) >= time.Second {
			drawn = time.Now()
			fmt.Fprintf(progress, "\r%-8s %.0fs  %s%-20s", label, time.Since(start).Seconds(), status(), "")
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "\r%-8s %.1fs  %s%-20s\n", label, time.Since(start).Seconds(), status(), "")
	}
	return nil
}
