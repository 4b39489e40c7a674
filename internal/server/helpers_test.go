package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/qualify/qualify/internal/server/internal/testschema"
)

// logBuffer collects a server's log lines; the server writes from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestServer builds a Server on the test schema, logging JSON at debug level into the returned
// buffer. edit, if given, adjusts the Deps.
func newTestServer(t *testing.T, cfg Config, edit ...func(*Deps)) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	deps := Deps{
		Schema: testschema.New(),
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, e := range edit {
		e(&deps)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return New(cfg, deps), logs
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string           `json:"message"`
	Path       []any            `json:"path"`
	Locations  []map[string]int `json:"locations"`
	Extensions map[string]any   `json:"extensions"`
}

// gqlResponse is a GraphQL response body.
type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

// gqlRequest is a GraphQL request body.
type gqlRequest struct {
	Query         string         `json:"query,omitempty"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
	Extensions    map[string]any `json:"extensions,omitempty"`
}

// post sends req to /graphql through h and decodes the answer.
func post(t *testing.T, h http.Handler, req gqlRequest) (*http.Response, gqlResponse) {
	t.Helper()
	return do(t, h, newPost(t, req))
}

// newPost returns a POST of req to /graphql.
func newPost(t *testing.T, req gqlRequest) *http.Request {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// readBody returns a response's body as text.
func readBody(res *http.Response) (string, error) {
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// do serves r with h and decodes the answer as a GraphQL response.
func do(t *testing.T, h http.Handler, r *http.Request) (*http.Response, gqlResponse) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, body not JSON: %v\n%s", r.Method, r.URL, res.StatusCode, err, raw)
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	return res, out
}

// get serves a GET of path through h and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w.Code, w.Body.String()
}

// onlyError returns the response's single error, failing the test if there is not exactly one.
func onlyError(t *testing.T, res gqlResponse) gqlError {
	t.Helper()
	if len(res.Errors) != 1 {
		t.Fatalf("want exactly one error, got %+v", res.Errors)
	}
	return res.Errors[0]
}

// metricsText scrapes the server's metrics endpoint.
func metricsText(t *testing.T, h http.Handler) string {
	t.Helper()
	code, body := get(t, h, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	return body
}

// hasLine reports whether text has a line that starts with prefix.
func hasLine(text, prefix string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}
