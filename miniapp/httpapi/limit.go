package httpapi

import (
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of token buckets by key. Buckets idle long enough to be
// full again are forgotten.
type Limiter[K comparable] struct {
	rate  rate.Limit
	burst int
	off   bool

	mu      sync.Mutex
	buckets map[K]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter makes one; a negative rate turns it off.
func NewLimiter[K comparable](perSecond float64, burst int) *Limiter[K] {
	return &Limiter[K]{rate: rate.Limit(perSecond), burst: burst, off: perSecond < 0, buckets: map[K]*bucket{}}
}

// Allow takes a token for key; when there is none it returns how long until
// there will be.
func (l *Limiter[K]) Allow(key K, now time.Time) (bool, time.Duration) {
	if l.off {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets buckets idle long enough to have refilled.
func (l *Limiter[K]) sweep(now time.Time) {
	l.swept = now
	full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
}

// RateLimited is the 429 answer with its Retry-After.
func RateLimited(wait time.Duration) *Error {
	e := Err(http.StatusTooManyRequests, CodeRateLimited, "too many requests; slow down and try again shortly")
	e.RetryAfter = int(math.Ceil(wait.Seconds()))
	if e.RetryAfter < 1 {
		e.RetryAfter = 1
	}
	return e
}
