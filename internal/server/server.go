// Package server is the HTTP face of Qualify: the GraphQL API (POST, GET, websocket), GraphiQL,
// health and readiness probes, and Prometheus metrics, with the limits, error mapping, access log
// and graceful shutdown that go with them.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Config holds the server's settings. The zero value of every field means its default.
type Config struct {
	// Addr is the TCP address Run listens on. Default ":8080".
	Addr string
	// MaxBodyBytes caps a request body (and a websocket message). Default 1 MiB.
	MaxBodyBytes int64
	// MaxUploadBytes caps a multipart request (a file upload). Default 32 MiB.
	MaxUploadBytes int64
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout configure the http.Server.
	// Defaults 5 s, 30 s, 30 s and 120 s. WriteTimeout must exceed RequestTimeout, or slow answers
	// are cut off before they can report TIMEOUT.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// RequestTimeout is the deadline of each GraphQL request's context (not of websocket
	// connections, which live until the client or the server closes them). Default 15 s.
	RequestTimeout time.Duration
	// ShutdownDrain is how long Serve goes on serving once its context is cancelled, with
	// /readyz already failing, so that load balancers stop sending requests before it stops
	// accepting them. Default 0 (none).
	ShutdownDrain time.Duration
	// ShutdownTimeout bounds how long Run drains in-flight requests once it stops accepting.
	// Default 20 s.
	ShutdownTimeout time.Duration
	// ComplexityLimit is the highest complexity an operation may have. Default 2000.
	ComplexityLimit int
	// MaxDepth is the deepest field nesting an operation may have (introspection fields aside).
	// Default 12.
	MaxDepth int
	// ParserTokenLimit caps the tokens of a query document, so a huge document is refused before
	// it costs parsing time. Default 15000.
	ParserTokenLimit int
	// QueryCacheSize is the number of parsed and validated documents kept. Default 1000.
	QueryCacheSize int
	// APQCacheSize is the number of automatic persisted queries kept. Default 1000.
	APQCacheSize int
	// Production turns introspection, field suggestions in errors and GraphiQL off.
	Production bool
	// AllowedOrigins are the origins ("https://app.example.com", or "*" for any) whose pages may
	// open a websocket to /graphql. The server's own origin, and clients that send no Origin
	// (non-browser clients), are always allowed.
	AllowedOrigins []string
	// WebsocketKeepAlive is the interval of keep-alive messages (graphql-ws) and pings
	// (graphql-transport-ws). Default 15 s.
	WebsocketKeepAlive time.Duration
	// MetricsPath is where Prometheus metrics are served. Default "/metrics".
	MetricsPath string
	// MaxOperationLabels caps the distinct operation names used as metric labels; names seen after
	// the cap is reached are counted as "other". Default 200.
	MaxOperationLabels int
}

// Registry is where the server's metrics are registered and what /metrics serves.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Deps are what the server is built around.
type Deps struct {
	// Schema is the executable GraphQL schema, e.g. graph.NewExecutableSchema(graph.Config{...}).
	// Required.
	Schema graphql.ExecutableSchema
	// Ready reports whether the server can serve (typically: the database answers at the expected
	// schema). Its error text is shown by /readyz to anyone: name the problem, never hosts,
	// users or credentials. Nil means always ready.
	Ready func(ctx context.Context) error
	// Logger receives the access log, panics and internal errors. Nil means slog.Default().
	Logger *slog.Logger
	// Middleware wraps /graphql (after the body limit and the request timeout, before gqlgen), the
	// first element outermost; authentication goes here.
	Middleware []func(http.Handler) http.Handler
	// Routes are further HTTP routes (ServeMux pattern → handler, e.g. "GET /export/funnel.csv"),
	// each behind the request timeout and Middleware, like /graphql.
	Routes map[string]http.Handler
	// Extensions are further gqlgen extensions (field interceptors such as page limits and
	// access control), used after the server's own.
	Extensions []graphql.HandlerExtension
	// MetricsMiddleware, if set, wraps the metrics endpoint, e.g. to restrict who may scrape it.
	MetricsMiddleware func(http.Handler) http.Handler
	// WebsocketInit, if set, is called with a websocket's connection_init payload; browsers cannot
	// set headers on websockets, so authentication of subscriptions goes here.
	WebsocketInit transport.WebsocketInitFunc
	// Collectors are further metrics to serve (database pool, transaction retries, listener),
	// registered with the server's own.
	Collectors []prometheus.Collector
	// TracerProvider, if set, traces each /graphql request and the operation in it (see
	// internal/tracing); nil turns tracing off at no cost per request.
	TracerProvider trace.TracerProvider
	// Registry receives the server's metrics. Nil means a fresh registry that also holds the Go
	// and process collectors; a registry given here gets only the server's own metrics, and may
	// back one Server only.
	Registry Registry
}

// Server serves Qualify over HTTP. Build it with New; serve with Run, Serve, or Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	ready   func(ctx context.Context) error
	metrics *metrics
	handler http.Handler
	// logErr holds back repeats of the same error line (an outage fails every request alike).
	logErr *repeatLimiter

	// draining is set when shutdown begins: /readyz fails from then on.
	draining atomic.Bool
	// closing is cancelled when the server stops accepting: websockets are told to close.
	closing    context.Context
	beginClose context.CancelFunc
	websockets sync.WaitGroup
	openWS     atomic.Int64
}

// New builds a server. It panics if deps.Schema is nil or the metrics cannot be registered, both
// programming errors.
func New(cfg Config, deps Deps) *Server {
	if deps.Schema == nil {
		panic("server: Deps.Schema is nil")
	}
	cfg = cfg.withDefaults()
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	closing, beginClose := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		log:        log,
		ready:      deps.Ready,
		metrics:    newMetrics(deps.Registry, cfg.MaxOperationLabels),
		logErr:     newRepeatLimiter(),
		closing:    closing,
		beginClose: beginClose,
	}
	s.metrics.registry.MustRegister(deps.Collectors...)
	s.metrics.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "qualify_websockets_open",
		Help: "Websocket connections open on /graphql.",
	}, func() float64 { return float64(s.openWS.Load()) }))
	s.handler = s.routes(s.graphqlHandler(deps), deps)
	return s
}

// Handler returns the server's complete HTTP handler: every route with its middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens on Config.Addr and serves until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled; then /readyz fails at once, serving goes on for
// Config.ShutdownDrain, and then it stops accepting connections, closes websockets, and waits up
// to Config.ShutdownTimeout for in-flight requests to finish. It returns nil after a
// clean shutdown. A Server serves once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "production", s.cfg.Production)

	select {
	case err := <-served:
		s.draining.Store(true)
		s.beginClose()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	s.draining.Store(true)
	if s.cfg.ShutdownDrain > 0 {
		s.log.Info("draining: not ready, still serving", "drain", s.cfg.ShutdownDrain)
		select {
		case <-time.After(s.cfg.ShutdownDrain):
		case err := <-served:
			s.beginClose()
			return fmt.Errorf("serve: %w", err)
		}
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	s.beginClose()
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(drain)
	if err == nil {
		err = s.waitWebsockets(drain)
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("shut down")
	return nil
}

// waitWebsockets waits for the websocket handlers, which http.Server.Shutdown does not track, to
// return after closing was cancelled.
func (s *Server) waitWebsockets(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.websockets.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("websockets still open: %w", ctx.Err())
	}
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 32 << 20
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 30*time.Second)
	def(&c.WriteTimeout, 30*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	def(&c.RequestTimeout, 15*time.Second)
	def(&c.ShutdownTimeout, 20*time.Second)
	def(&c.WebsocketKeepAlive, 15*time.Second)
	defInt(&c.ComplexityLimit, 2000)
	defInt(&c.MaxDepth, 12)
	defInt(&c.ParserTokenLimit, 15000)
	defInt(&c.QueryCacheSize, 1000)
	defInt(&c.APQCacheSize, 1000)
	defInt(&c.MaxOperationLabels, 200)
	if c.MetricsPath == "" {
		c.MetricsPath = "/metrics"
	}
	return c
}
