// Package apitest runs a whole Qualify instance behind an httptest server for end-to-end tests
// and speaks GraphQL to it over HTTP, as a frontend would.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/auth"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// PoliciesDir is the shipped bundle of this repository, found as testenv finds the repository
// (also in a binary built with -trimpath, whose source paths are not the files').
func PoliciesDir() string {
	root, err := testenv.RepoRoot()
	if err != nil {
		panic("apitest: " + err.Error())
	}
	return filepath.Join(root, "policies")
}

// The JWT settings of every test app: tests mint tokens with them (As, Token).
const (
	Secret   = "apitest-hs256-secret-of-at-least-32-bytes"
	Issuer   = "qualify-test"
	Audience = "qualify-api"
)

// Instance is a running server over one database.
type Instance struct {
	App    *app.App
	Server *httptest.Server
	// Header is sent with every request. Start puts an admin token in its Authorization, so a
	// test that is not about access control calls as an unrestricted admin; As calls as another
	// role, Anonymous without credentials.
	Header http.Header
}

// Option adjusts the app configuration before the instance starts.
type Option func(*app.Config)

// verified is shared by every app of the test binary: the shipped bundle (or a test's copy of
// it) is verified once, not at each Start. A test that needs its own verification sets
// Config.PolicyCache to nil.
var verified = policy.NewVerifiedCache()

// Start builds the app on db with the shipped policies and serves it until the test ends.
func Start(t testing.TB, db *store.DB, opts ...Option) *Instance {
	t.Helper()
	cfg := app.Config{
		PoliciesDir: PoliciesDir(),
		PolicyCache: verified,
		PolicyPoll:  time.Hour, // tests that need hot reload start the source themselves
		// A decision on a loaded 2-core machine under -race can take longer than the product's
		// 1 s; the tests of POLICY_TIMEOUT set their own.
		PolicyEvalTimeout: 10 * time.Second,
		Logger:            testLogger(t),
		Auth:              auth.Config{Secret: []byte(Secret), Issuer: Issuer, Audience: Audience},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.New(ctx, db, cfg)
	if err != nil {
		t.Fatalf("apitest: start app: %v", err)
	}
	bg, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Background(bg) }()
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); stop(); <-done })
	in := &Instance{App: a, Server: srv, Header: http.Header{}}
	in.Header.Set("Authorization", "Bearer "+Token(t, "admin", "", ""))
	return in
}

// User creates a user named name of role (a UserRole: "REVOPS") in team through the API and
// returns its id. Tokens are checked against the User table, so a test that calls as a user
// creates it first.
func (in *Instance) User(t testing.TB, name, role, team string) string {
	t.Helper()
	var out struct{ CreateUser struct{ ID string } }
	in.Data(t, `mutation($n: String!, $e: String!, $r: UserRole!, $t: String!) { createUser(input: {name: $n, email: $e, role: $r, team: $t}) { id } }`,
		map[string]any{"n": name, "e": strings.ToLower(name) + "@qualify.example", "r": role, "t": team}, &out)
	return out.CreateUser.ID
}

// Token mints a test-app token for role and team, as user userID (a GraphQL ID; "" for none).
func Token(t testing.TB, role, team, userID string) string {
	t.Helper()
	uid := 0
	if userID != "" {
		n, err := strconv.Atoi(userID)
		if err != nil {
			t.Fatalf("apitest: user id %q: %v", userID, err)
		}
		uid = n
	}
	tok, err := auth.Mint([]byte(Secret), Issuer, Audience, role, team, uid, time.Hour)
	if err != nil {
		t.Fatalf("apitest: mint token: %v", err)
	}
	return tok
}

// As returns a copy of the instance that calls as role (marketing, bdr, ae, revops, analyst,
// admin) of team, as user userID (a GraphQL ID; "" for none).
func (in *Instance) As(t testing.TB, role, team, userID string) *Instance {
	t.Helper()
	return in.WithAuthorization("Bearer " + Token(t, role, team, userID))
}

// Anonymous returns a copy of the instance that sends no credentials.
func (in *Instance) Anonymous() *Instance { return in.WithAuthorization("") }

// WithAuthorization returns a copy of the instance that sends this Authorization header ("" for
// none).
func (in *Instance) WithAuthorization(value string) *Instance {
	cp := *in
	cp.Header = in.Header.Clone()
	cp.Header.Del("Authorization")
	if value != "" {
		cp.Header.Set("Authorization", value)
	}
	return &cp
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Do posts one operation and decodes the response. It fails the test only on transport errors.
func (in *Instance) Do(t testing.TB, query string, vars map[string]any) Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, in.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range in.Header {
		req.Header[k] = v
	}
	res, err := in.Server.Client().Do(req)
	if err != nil {
		t.Fatalf("apitest: post: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("apitest: status %d, body %q: %v", res.StatusCode, raw, err)
	}
	r.Status = res.StatusCode
	return r
}

// Data runs an operation that must succeed and decodes its data into out.
func (in *Instance) Data(t testing.TB, query string, vars map[string]any, out any) {
	t.Helper()
	r := in.Do(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("apitest: unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("apitest: decode %s: %v", r.Data, err)
	}
}

// Fail runs an operation that must fail with code and returns its first error.
func (in *Instance) Fail(t testing.TB, code, query string, vars map[string]any) Error {
	t.Helper()
	r := in.Do(t, query, vars)
	for _, e := range r.Errors {
		if e.Code() == code {
			return e
		}
	}
	var codes []string
	for _, e := range r.Errors {
		codes = append(codes, e.Code()+": "+e.Message)
	}
	t.Fatalf("apitest: want error %s, got [%s] (data %s)", code, strings.Join(codes, "; "), r.Data)
	return Error{}
}

// testLogger writes every log line to stderr when QUALIFY_TEST_LOG is set. Otherwise it keeps the
// server's warnings and errors, which carry the causes a client never sees (the error behind an
// INTERNAL or UNAVAILABLE answer), and prints them only if the test fails: a failure seen once in
// CI then says why.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("QUALIFY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	kept := &tailBuffer{limit: 64 << 10}
	t.Cleanup(func() {
		if t.Failed() {
			if s := kept.String(); s != "" {
				t.Logf("apitest: the server's warnings and errors:\n%s", s)
			}
		}
	})
	return slog.New(slog.NewTextHandler(kept, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// tailBuffer keeps the last limit bytes written to it; the server's goroutines write concurrently.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
