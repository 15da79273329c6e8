package miniapp

import (
	"errors"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP face's Prometheus collectors.
type metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	limited    *prometheus.CounterVec
	sseClients prometheus.Gauge
	sseResyncs prometheus.Counter
	// sseReplaced: streams ended by a newer one of the same user beyond
	// the rule book's MaxStreams.
	sseReplaced prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tonpay_http_requests_total",
			Help: "HTTP requests by method, route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tonpay_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route (event streams excluded).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tonpay_http_rate_limited_total",
			Help: "Requests refused with 429, by limit (ip or user).",
		}, []string{"by"}),
		sseClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tonpay_http_event_streams",
			Help: "Open Server-Sent Events streams.",
		}),
		sseResyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tonpay_http_event_stream_resyncs_total",
			Help: "Event streams closed for falling behind (the client reconnects and reloads).",
		}),
		sseReplaced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tonpay_http_event_streams_replaced_total",
			Help: "Event streams closed because their user opened more than the per-user bound (the oldest goes).",
		}),
	}
	m.requests = register(reg, m.requests)
	m.duration = register(reg, m.duration)
	m.limited = register(reg, m.limited)
	m.sseClients = register(reg, m.sseClients)
	m.sseResyncs = register(reg, m.sseResyncs)
	m.sseReplaced = register(reg, m.sseReplaced)
	return m
}

// register adds c to reg, or returns the collector already registered under
// its name (a second server on one registry shares the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a name clash with another kind of collector is a programming error
	}
	return c
}

// observe counts every request and times the ones that end. It runs outside
// every other middleware, so it sees the final status, errors included.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // answer now, to record the status it got
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
		if route != routeEvents {
			s.metrics.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		}
		return nil
	}
}
