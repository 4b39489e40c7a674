package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qualify/qualify/internal/principal"
)

func TestLivez(t *testing.T) {
	s, _ := newTestServer(t, Config{}, func(d *Deps) {
		d.Ready = func(context.Context) error { return errors.New("database is down") }
	})
	for _, path := range []string{"/livez", "/healthz"} {
		if code, body := get(t, s.Handler(), path); code != http.StatusOK || body != "ok" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, code, body)
		}
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name   string
		ready  func(context.Context) error
		status int
		want   string
	}{
		{name: "no check", status: http.StatusOK, want: "ready"},
		{name: "ready", ready: func(ctx context.Context) error {
			if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > readyTimeout {
				return errors.New("no 2 s deadline on the check")
			}
			return nil
		}, status: http.StatusOK, want: "ready"},
		{name: "not ready", ready: func(context.Context) error { return errors.New("database unreachable") },
			status: http.StatusServiceUnavailable, want: "not ready: database unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{}, func(d *Deps) { d.Ready = tt.ready })
			if code, body := get(t, s.Handler(), "/readyz"); code != tt.status || body != tt.want {
				t.Errorf("GET /readyz = %d %q, want %d %q", code, body, tt.status, tt.want)
			}
		})
	}
}

func TestProduction(t *testing.T) {
	const introspect = `{ __schema { queryType { name } } }`
	tests := []struct {
		production    bool
		graphiql      int
		introspection bool
	}{
		{production: false, graphiql: http.StatusOK, introspection: true},
		{production: true, graphiql: http.StatusNotFound, introspection: false},
	}
	for _, tt := range tests {
		s, _ := newTestServer(t, Config{Production: tt.production})
		code, page := get(t, s.Handler(), "/")
		if code != tt.graphiql {
			t.Errorf("production=%v: GET / = %d, want %d", tt.production, code, tt.graphiql)
		}
		if code == http.StatusOK && (!strings.Contains(page, "graphiql") || !strings.Contains(page, `"/graphql"`)) {
			t.Errorf("GET / is not GraphiQL on /graphql:\n%.300s", page)
		}
		if code, _ := get(t, s.Handler(), "/elsewhere"); code != http.StatusNotFound {
			t.Errorf("GET /elsewhere = %d, want 404", code)
		}

		res, body := post(t, s.Handler(), gqlRequest{Query: introspect})
		if tt.introspection {
			if len(body.Errors) > 0 || body.Data["__schema"] == nil {
				t.Errorf("production=%v: introspection failed: %+v", tt.production, body)
			}
			continue
		}
		e := onlyError(t, body)
		if res.StatusCode != http.StatusUnprocessableEntity || e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" ||
			e.Message != "introspection is disabled" {
			t.Errorf("production introspection: %d %+v", res.StatusCode, e)
		}
	}
}

func TestMetrics(t *testing.T) {
	s, _ := newTestServer(t, Config{MaxOperationLabels: 3})
	h := s.Handler()
	for _, q := range []string{
		`query Hello { hello }`,
		`query Hello { hello }`,
		`{ hello }`,
		`query Broken { nope }`,
		`query Failing { fail(kind: PLAIN) }`,
		`query OneTooMany { hello }`,
	} {
		post(t, h, gqlRequest{Query: q})
	}
	text := metricsText(t, h)
	for _, want := range []string{
		`qualify_graphql_requests_total{code="",kind="query",operation="Hello",status="ok"} 2`,
		`qualify_graphql_requests_total{code="",kind="query",operation="anonymous:hello",status="ok"} 1`,
		`qualify_graphql_requests_total{code="GRAPHQL_VALIDATION_FAILED",kind="unknown",operation="invalid",status="rejected"} 1`,
		`qualify_graphql_requests_total{code="INTERNAL",kind="query",operation="Failing",status="error"} 1`,
		`qualify_graphql_requests_total{code="",kind="query",operation="other",status="ok"} 1`,
		`qualify_graphql_request_duration_seconds_count{kind="query",operation="Hello"} 2`,
		`qualify_http_requests_total{code="200",route="/graphql"} 5`,
		`qualify_http_requests_total{code="422",route="/graphql"} 1`,
		`go_goroutines `,
		`process_`,
	} {
		if !hasLine(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "Broken") || strings.Contains(text, "OneTooMany") {
		t.Errorf("metrics name an invalid or over-the-cap operation")
	}
}

func TestMetricsMiddleware(t *testing.T) {
	s, _ := newTestServer(t, Config{MetricsPath: "/internal/metrics"}, func(d *Deps) {
		d.MetricsMiddleware = func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer scraper" {
					http.Error(w, "no", http.StatusUnauthorized)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	})
	if code, _ := get(t, s.Handler(), "/internal/metrics"); code != http.StatusUnauthorized {
		t.Errorf("unauthorised scrape = %d, want 401", code)
	}
	r := httptest.NewRequest(http.MethodGet, "/internal/metrics", nil)
	r.Header.Set("Authorization", "Bearer scraper")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "qualify_http_requests_total") {
		t.Errorf("authorised scrape = %d", w.Code)
	}
}

func TestAccessLogAndRequestID(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	tests := []struct {
		given string
		want  func(string) bool
	}{
		{given: "abc-123", want: func(id string) bool { return id == "abc-123" }},
		{given: "", want: func(id string) bool { return len(id) == 32 }},
		{given: "bad id\n", want: func(id string) bool { return len(id) == 32 }},
	}
	for _, tt := range tests {
		r := newPost(t, gqlRequest{Query: `query Logged { hello }`})
		if tt.given != "" {
			r.Header.Set(RequestIDHeader, tt.given)
		}
		res, _ := do(t, s.Handler(), r)
		id := res.Header.Get(RequestIDHeader)
		if !tt.want(id) {
			t.Errorf("given %q, echoed %q", tt.given, id)
		}
		want := `"msg":"http request","method":"POST","route":"/graphql","status":200`
		if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), `"request_id":"`+id+`","operation":"Logged","kind":"query"`) {
			t.Errorf("access log lacks the request %s:\n%s", id, logs)
		}
	}
}

func TestMiddleware(t *testing.T) {
	var order []string
	mark := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				if _, ok := r.Context().Deadline(); !ok {
					t.Errorf("middleware %s runs without the request deadline", name)
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	s, _ := newTestServer(t, Config{}, func(d *Deps) { d.Middleware = []func(http.Handler) http.Handler{mark("outer"), mark("inner")} })
	post(t, s.Handler(), gqlRequest{Query: `{ hello }`})
	get(t, s.Handler(), "/healthz")
	if strings.Join(order, ",") != "outer,inner" {
		t.Errorf("middleware ran %v, want outer,inner once, on /graphql only", order)
	}
}

func TestPanicInMiddleware(t *testing.T) {
	s, logs := newTestServer(t, Config{}, func(d *Deps) {
		d.Middleware = []func(http.Handler) http.Handler{func(http.Handler) http.Handler {
			return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("auth exploded") })
		}}
	})
	res, body := post(t, s.Handler(), gqlRequest{Query: `{ hello }`})
	if e := onlyError(t, body); res.StatusCode != http.StatusInternalServerError || e.Extensions["code"] != "INTERNAL" ||
		strings.Contains(e.Message, "exploded") {
		t.Errorf("%d %+v", res.StatusCode, e)
	}
	if !strings.Contains(logs.String(), "auth exploded") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{}, 1)
	s, _ := newTestServer(t, Config{ShutdownTimeout: 5 * time.Second}, func(d *Deps) {
		d.Middleware = []func(http.Handler) http.Handler{func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Upgrade") == "" {
					started <- struct{}{}
				}
				next.ServeHTTP(w, r)
			})
		}}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	// A websocket that stays open must not hold the shutdown up.
	dialCtx, dialCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dialCancel()
	ws, _, err := websocket.Dial(dialCtx, "ws://"+ln.Addr().String()+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer func() { _ = ws.CloseNow() }()
	wsClosed := make(chan error, 1)
	go func() { // a client reads, and so answers the server's close
		_, _, err := ws.Read(dialCtx)
		wsClosed <- err
	}()

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := http.Post(base+"/graphql", "application/json",
			bytes.NewReader([]byte(`{"query":"{ slow(ms: 300) }"}`)))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answered <- answer{status: res.StatusCode, body: string(b)}
	}()
	<-started
	cancel()

	a := <-answered
	if a.err != nil || a.status != http.StatusOK || a.body != `{"data":{"slow":"done"}}` {
		t.Errorf("in-flight request: %d %q %v", a.status, a.body, a.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
	if err := <-wsClosed; websocket.CloseStatus(err) != websocketGoingAway {
		t.Errorf("websocket closed with %v, want going away", err)
	}
}

// On shutdown the server first fails readiness while it goes on serving for the drain delay,
// so a load balancer can take it out of rotation before it stops accepting.
func TestShutdownDrain(t *testing.T) {
	s, _ := newTestServer(t, Config{ShutdownDrain: 3 * time.Second, ShutdownTimeout: 5 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	status := func(path string) int {
		res, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d", got)
	}
	cancel()
	for status("/readyz") != http.StatusServiceUnavailable {
		select {
		case err := <-served:
			t.Fatalf("Serve returned before readiness failed: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	res, err := http.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ hello }"}`))
	if err != nil {
		t.Fatalf("draining server refused a request: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("draining server answered %d", res.StatusCode)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if status("/livez") != 0 {
		t.Error("still serving after the drain and shutdown")
	}
}

// The access log names the caller and the error code; the same internal error repeated is
// written once, not once per request.
func TestAccessLogCallerCodeAndRepeats(t *testing.T) {
	s, logs := newTestServer(t, Config{}, func(d *Deps) {
		d.Middleware = []func(http.Handler) http.Handler{func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p := principal.Principal{UserID: 7, Role: "bdr", Subject: "user:7"}
				next.ServeHTTP(w, r.WithContext(principal.With(r.Context(), p)))
			})
		}}
	})
	for range 5 {
		post(t, s.Handler(), gqlRequest{Query: `query Failing { fail(kind: PLAIN) }`})
	}
	text := logs.String()
	if !strings.Contains(text, `"operation":"Failing","kind":"query","principal":"user:7","code":"INTERNAL"`) {
		t.Errorf("access log lacks principal and code:\n%s", text)
	}
	if n := strings.Count(text, `"msg":"internal error"`); n != 1 {
		t.Errorf("the same internal error logged %d times, want once:\n%s", n, text)
	}
}
