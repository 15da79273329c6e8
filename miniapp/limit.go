package miniapp

import (
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Limits are the request rate limits: a token bucket per client IP (every
// /api call) and per Telegram user (authenticated calls). A rate of zero
// takes the default; a negative rate turns that limit off.
type Limits struct {
	IPPerSecond   float64 // default 20
	IPBurst       int     // default 60
	UserPerSecond float64 // default 10
	UserBurst     int     // default 30
}

func (l Limits) withDefaults() Limits {
	if l.IPPerSecond == 0 {
		l.IPPerSecond = 20
	}
	if l.IPBurst <= 0 {
		l.IPBurst = 60
	}
	if l.UserPerSecond == 0 {
		l.UserPerSecond = 10
	}
	if l.UserBurst <= 0 {
		l.UserBurst = 30
	}
	return l
}

// limiter is a set of token buckets by key. Buckets idle long enough to be
// full again are forgotten.
type limiter[K comparable] struct {
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

func newLimiter[K comparable](perSecond float64, burst int) *limiter[K] {
	return &limiter[K]{rate: rate.Limit(perSecond), burst: burst, off: perSecond < 0, buckets: map[K]*bucket{}}
}

// allow takes a token for key; when there is none it returns how long until
// there will be.
func (l *limiter[K]) allow(key K, now time.Time) (bool, time.Duration) {
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
func (l *limiter[K]) sweep(now time.Time) {
	l.swept = now
	full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
}

func rateLimited(wait time.Duration) *apiError {
	e := apiErr(http.StatusTooManyRequests, codeRateLimited, "too many requests; slow down and try again shortly")
	e.RetryAfter = int(math.Ceil(wait.Seconds()))
	if e.RetryAfter < 1 {
		e.RetryAfter = 1
	}
	return e
}

// limitIP is the per-IP limit. The IP is the connection's, or the one a
// trusted proxy reports (Config.TrustProxy).
func (s *Server) limitIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.ipLimit.allow(c.RealIP(), time.Now()); !ok {
			s.metrics.limited.WithLabelValues("ip").Inc()
			return rateLimited(wait)
		}
		return next(c)
	}
}

// limitUser is the per-user limit; it runs after authenticate.
func (s *Server) limitUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.userLimit.allow(user(c).ID, time.Now()); !ok {
			s.metrics.limited.WithLabelValues("user").Inc()
			return rateLimited(wait)
		}
		return next(c)
	}
}
