package chat

import "time"

// clock is the time source of the state machines, injected so that tests can drive
// timeouts without sleeping.
type clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) stopper
}

// stopper is a pending AfterFunc call.
type stopper interface {
	// Stop prevents the call if it has not started; it reports whether it did.
	Stop() bool
}

// systemClock is the clock of production: package time.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }
