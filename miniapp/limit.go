package miniapp

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
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

// limitIP is the per-IP limit. The IP is the connection's, or the one a
// trusted proxy reports (Config.TrustProxy).
func (s *Server) limitIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.ipLimit.Allow(c.RealIP(), time.Now()); !ok {
			s.metrics.limited.WithLabelValues("ip").Inc()
			return httpapi.RateLimited(wait)
		}
		return next(c)
	}
}

// limitUser is the per-user limit; it runs after authenticate.
func (s *Server) limitUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.userLimit.Allow(user(c).ID, time.Now()); !ok {
			s.metrics.limited.WithLabelValues("user").Inc()
			return httpapi.RateLimited(wait)
		}
		return next(c)
	}
}
