package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/qualify/qualify/internal/console"
)

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// routes assembles the mux and wraps it in the middleware every request goes through.
//
//	GET  /          GraphiQL, unless Production
//	     /graphql   the API: POST, GET, OPTIONS, and websocket upgrades (GET)
//	GET  /livez     liveness: 200 "ok" while the process serves HTTP (/healthz: the same)
//	GET  /readyz    readiness: 200 "ready", or 503 "not ready: <reason>" while draining or when
//	                Deps.Ready fails within 2 s
//	GET  /metrics   Prometheus (Config.MetricsPath), behind Deps.MetricsMiddleware
func (s *Server) routes(gql http.Handler, deps Deps) http.Handler {
	mux := http.NewServeMux()

	api := traceHTTP(s.graphqlRoute(gql, deps.Middleware), deps.TracerProvider, "/graphql")
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodOptions} {
		mux.Handle(method+" /graphql", api)
	}
	if !s.cfg.Production {
		mux.Handle("GET /{$}", graphiql())
	}
	mux.HandleFunc("GET /livez", livez)
	mux.HandleFunc("GET /healthz", livez)                // the older name of /livez
	mux.Handle("GET "+console.Prefix, console.Handler()) // static; it signs in to /graphql itself
	mux.HandleFunc("GET /readyz", s.readyz)
	for pattern, h := range deps.Routes {
		for i := len(deps.Middleware) - 1; i >= 0; i-- {
			h = deps.Middleware[i](h)
		}
		mux.Handle(pattern, gzipped(s.limitBody(s.withTimeout(h))))
	}
	metrics := s.metrics.handler()
	if deps.MetricsMiddleware != nil {
		metrics = deps.MetricsMiddleware(metrics)
	}
	mux.Handle("GET "+s.cfg.MetricsPath, metrics)

	return s.observe(mux)
}

// graphiql serves GraphiQL against /graphql. Once authentication is on, open the Headers tab and
// set {"Authorization": "Bearer <token>"}; GraphiQL keeps it in the browser's local storage.
func graphiql() http.Handler {
	return playground.Handler("Qualify GraphiQL", "/graphql",
		playground.WithGraphiqlUiHeaders(map[string]string{"Authorization": ""}),
		playground.WithStoragePrefix("qualify:"),
	)
}

// graphqlRoute puts the limits and Deps.Middleware around the gqlgen handler. Plain requests get
// the body limit and the request timeout; websocket upgrades get the origin check and live until
// the client or the shutdown closes them.
func (s *Server) graphqlRoute(gql http.Handler, middleware []func(http.Handler) http.Handler) http.Handler {
	h := gql
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	plain := gzipped(s.limitBody(s.withTimeout(h)))
	ws := s.websocket(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The same test gqlgen's websocket transport uses to claim a request.
		if r.Header.Get("Upgrade") != "" {
			ws.ServeHTTP(w, r)
			return
		}
		plain.ServeHTTP(w, r)
	})
}

// gzipped compresses an answer of over 1 kB for a client that accepts gzip, and says Vary:
// Accept-Encoding. Answers can be large: a funnel by owner and cohort month with its exits is
// 6.6 MB of JSON at 1M leads, the CSV exports more. The fastest level: JSON shrinks about
// tenfold at it, and the server's two cores serve the queries.
var gzipped = func() func(http.Handler) http.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		panic(err) // the options are constants
	}
	return wrap
}()

// limitBody reads the whole body up front, so a body over Config.MaxBodyBytes is refused with 413
// (gqlgen would report a failed read as a GraphQL error with status 200).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		limit := s.cfg.MaxBodyBytes
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			limit = s.cfg.MaxUploadBytes // file uploads (importLeads)
		}
		if r.ContentLength > limit {
			writeTooLarge(w, limit)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				writeTooLarge(w, limit)
				return
			}
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "could not read the request body", nil)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func writeTooLarge(w http.ResponseWriter, limit int64) {
	writeError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
		"request body too large", map[string]any{"limit": limit})
}

// withTimeout gives the request's context the Config.RequestTimeout deadline; the error presenter
// reports work cut off by it as TIMEOUT.
func (s *Server) withTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// websocket refuses foreign origins, and ties the connection to the server's shutdown so that Serve
// can close it and wait for it.
func (s *Server) websocket(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.originAllowed(r) {
			s.log.WarnContext(r.Context(), "websocket origin refused",
				"origin", r.Header.Get("Origin"), "host", r.Host, "request_id", RequestID(r.Context()))
			writeError(w, http.StatusForbidden, "FORBIDDEN", "origin not allowed", nil)
			return
		}
		s.websockets.Add(1)
		defer s.websockets.Done()
		s.openWS.Add(1)
		defer s.openWS.Add(-1)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(s.closing, cancel)
		defer stop()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// originAllowed reports whether a websocket may be opened from the request's Origin: no Origin
// (not a browser), the server's own host, or one of Config.AllowedOrigins.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, allowed := range s.cfg.AllowedOrigins {
		if allowed == "*" || strings.EqualFold(strings.TrimSuffix(allowed, "/"), u.Scheme+"://"+u.Host) {
			return true
		}
	}
	return false
}

func livez(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// readyz answers 200 "ready" when the server is not draining and Deps.Ready succeeds within
// readyTimeout, else 503 "not ready: <reason>" (the reason is Deps.Ready's error text, written
// for anyone to read; the details go to the log).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	reason := ""
	if s.draining.Load() {
		reason = "shutting down"
	} else if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			reason = err.Error()
			s.logErr.warn(ctx, s.log, "not ready", "err", reason, "request_id", RequestID(ctx))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: "+reason)
		return
	}
	_, _ = io.WriteString(w, "ready")
}

// writeError answers with a GraphQL-shaped error body outside gqlgen.
func writeError(w http.ResponseWriter, status int, code, msg string, ext map[string]any) {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	for k, v := range ext {
		e.Extensions[k] = v
	}
	writeJSON(w, status, &graphql.Response{Errors: gqlerror.List{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
