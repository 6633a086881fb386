package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/postdesk/postdesk/admin/apperr"
)

// Metrics is the process's Prometheus registry with the portal's collectors. The composition root
// builds one per process and hands it to the server.
type Metrics struct {
	registry        *prometheus.Registry
	requestDuration *prometheus.HistogramVec
}

// NewMetrics builds the registry: request durations by route, and the Go runtime and process.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "postdesk_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"method", "route", "status"}),
	}
	m.registry.MustRegister(m.requestDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// middleware records each request under its route pattern (not its path, which would make one
// series per account id).
func (m *Metrics) middleware(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		} else {
			status = apperr.Status(apperr.CodeOf(err))
		}
	}
	// Label values outlive the request: Fiber's method and path strings alias buffers it reuses for
	// the next request, so they are copied ("GET" kept as is became "GETT" or "POS" in a scrape).
	m.requestDuration.WithLabelValues(methodLabel(c.Method()), utils.CopyString(c.Route().Path), strconv.Itoa(status)).
		Observe(time.Since(start).Seconds())
	return err
}

// methodLabel is the request's method as a constant string, so a series never shares a buffer.
func methodLabel(m string) string {
	for _, known := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut,
		fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace} {
		if m == known {
			return known
		}
	}
	return "OTHER"
}

// Handler serves the exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
