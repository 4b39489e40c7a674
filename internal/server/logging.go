package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RequestIDHeader carries the request id: taken from the request when it is sane, generated
// otherwise, and echoed in the response.
const RequestIDHeader = "X-Request-ID"

type requestInfoKey struct{}

// requestInfo is what the layers inside a request tell the access log about it.
type requestInfo struct {
	id string

	mu        sync.Mutex // gqlgen may answer from other goroutines (websockets)
	operation string
	kind      string
	code      string // extensions.code of the first error, "" for none
	principal string // the caller's Subject ("user:12", "apikey:7"), once authenticated
	// unavailable is set when a response is nothing but UNAVAILABLE errors: it goes out as 503.
	unavailable bool
}

func (i *requestInfo) setOutcome(principal, code string, unavailable bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.principal, i.code, i.unavailable = principal, code, unavailable
}

func (i *requestInfo) caller() (principal, code string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.principal, i.code
}

func (i *requestInfo) outcome() (code string, unavailable bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.code, i.unavailable
}

func (i *requestInfo) setOperation(name, kind string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.operation, i.kind = name, kind
}

func (i *requestInfo) get() (operation, kind string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.operation, i.kind
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// RequestID returns the id of the request ctx belongs to, or "" outside a request.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// observe is the outermost middleware: request id, panic recovery, access log and the HTTP
// request counter.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r.Header.Get(RequestIDHeader))}
		w.Header().Set(RequestIDHeader, info.id)
		rec := &recorder{ResponseWriter: w, info: info}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared, as net/http does
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic while serving", "panic", v, "request_id", info.id,
					"stack", string(debug.Stack()))
				if !rec.wroteHeader {
					writeError(rec, http.StatusInternalServerError, "INTERNAL", "internal error",
						map[string]any{"requestId": info.id})
				}
			}
			s.logRequest(r, rec, info, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) logRequest(r *http.Request, rec *recorder, info *requestInfo, took time.Duration) {
	route := routeOf(r)
	status := rec.status()
	s.metrics.http.WithLabelValues(route, strconv.Itoa(status)).Inc()

	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case route == "/healthz" || route == "/readyz" || route == s.cfg.MetricsPath:
		level = slog.LevelDebug // probes and scrapes every few seconds
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.Int64("bytes", rec.bytes),
		slog.String("request_id", info.id),
	}
	if op, kind := info.get(); op != "" {
		attrs = append(attrs, slog.String("operation", op), slog.String("kind", kind))
	}
	if who, code := info.caller(); who != "" || code != "" {
		attrs = append(attrs, slog.String("principal", who), slog.String("code", code))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// routeOf is the path of the mux pattern that served r ("/graphql"), or "unmatched"; a label of
// bounded cardinality.
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(r.Pattern, " "); ok {
		return path
	}
	return r.Pattern
}

// requestID returns the client's id if it is short and printable, else a fresh random one.
func requestID(given string) string {
	if given != "" && len(given) <= 128 && strings.IndexFunc(given, func(r rune) bool { return r <= ' ' || r > '~' }) < 0 {
		return given
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder remembers the status and size of a response. Unwrap lets http.ResponseController and
// the websocket upgrade reach the connection underneath.
type recorder struct {
	http.ResponseWriter
	info        *requestInfo
	code        int
	wroteHeader bool
	bytes       int64
}

// WriteHeader turns the 200 of a GraphQL response that is nothing but UNAVAILABLE errors into
// 503 with Retry-After, so load balancers and 5xx alerts see an outage.
func (rec *recorder) WriteHeader(code int) {
	if !rec.wroteHeader {
		if _, unavailable := rec.info.outcome(); unavailable && code == http.StatusOK {
			code = http.StatusServiceUnavailable
			rec.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfter))
		}
		rec.code, rec.wroteHeader = code, true
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if !rec.wroteHeader {
		rec.WriteHeader(http.StatusOK)
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) status() int {
	if !rec.wroteHeader {
		return http.StatusOK
	}
	return rec.code
}
