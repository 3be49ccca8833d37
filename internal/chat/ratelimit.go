package chat

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// reserve takes one token from l at now. It returns the reservation (to hand the token
// back with CancelAt) and zero, or nil and how long until a token is available.
func reserve(l *rate.Limiter, now time.Time) (*rate.Reservation, time.Duration) {
	r := l.ReserveN(now, 1)
	if !r.OK() {
		return nil, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, d
	}
	return r, 0
}

// rateLimited is the error of an event refused for rate; retryAfterMs is d rounded up.
func rateLimited(message string, d time.Duration) *Error {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	return &Error{Type: TypeRateLimit, Code: CodeRateLimited, Message: message, RetryAfterMs: max(ms, 1)}
}

// connLimiter limits new connections per client IP. Buckets that have refilled are
// swept once the map grows past sweepAt, so the map stays bounded by the number of
// addresses active within one refill period.
type connLimiter struct {
	perSecond float64
	burst     int

	mu      sync.Mutex
	m       map[string]*rate.Limiter // guarded by mu
	sweepAt int                      // guarded by mu
}

const connSweepMin = 1024

func newConnLimiter(perSecond float64) *connLimiter {
	return &connLimiter{
		perSecond: perSecond, burst: max(1, int(2*perSecond)),
		m: make(map[string]*rate.Limiter), sweepAt: connSweepMin,
	}
}

// allow takes a token of ip's bucket; it returns zero or how long until one is available.
func (cl *connLimiter) allow(ip string, now time.Time) time.Duration {
	cl.mu.Lock()
	l := cl.m[ip]
	if l == nil {
		cl.sweepLocked(now)
		l = rate.NewLimiter(rate.Limit(cl.perSecond), cl.burst)
		cl.m[ip] = l
	}
	cl.mu.Unlock()
	_, d := reserve(l, now)
	return d
}

// sweepLocked drops full buckets (their addresses have been quiet for a refill period:
// a new bucket would be identical) when the map has grown past sweepAt.
func (cl *connLimiter) sweepLocked(now time.Time) {
	if len(cl.m) < cl.sweepAt {
		return
	}
	for ip, l := range cl.m {
		if l.TokensAt(now) >= float64(cl.burst) {
			delete(cl.m, ip)
		}
	}
	cl.sweepAt = max(connSweepMin, 2*len(cl.m))
}

// hostOf returns the IP of a "host:port" remote address, or addr as it is.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
