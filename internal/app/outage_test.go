package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// dbProxy stands between the server and PostgreSQL so a test can cut the database off: down
// closes every connection and refuses new ones; blackhole keeps them open and forwards nothing,
// as a network partition does.
type dbProxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	conns     []net.Conn
	down      bool
	blackhole bool
}

func startProxy(t *testing.T, target string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *dbProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.down
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *dbProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		// Accepted just before the outage began and dialled after cut(): it must not survive
		// it (on a loaded machine a pool's new connection did, and the "outage" answered data).
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	cp := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if err != nil {
				dst.Close()
				return
			}
			p.mu.Lock()
			hole := p.blackhole
			p.mu.Unlock()
			if hole {
				continue // swallowed
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				src.Close()
				return
			}
		}
	}
	go cp(up, c)
	go cp(c, up)
}

// cut closes every proxied connection.
func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *dbProxy) setDown() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.cut()
}

func (p *dbProxy) setBlackhole() {
	p.mu.Lock()
	p.blackhole, p.down = true, false
	p.mu.Unlock()
}

// startBehindProxy starts an instance on a PostgreSQL database reached through a proxy.
func startBehindProxy(t *testing.T, cfg store.Config, opts ...apitest.Option) (*apitest.Instance, *dbProxy) {
	t.Helper()
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	cfg.URL = u.String()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return apitest.Start(t, db, opts...), p
}

// With the database gone, requests answer UNAVAILABLE, never INTERNAL; a response that is only
// that error is HTTP 503 with Retry-After, so load balancers and alerts see the outage.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	api, proxy := startBehindProxy(t, store.Config{})
	api.Data(t, `{ leads(first: 1) { totalCount } }`, nil, &struct{}{})
	proxy.setDown()

	for _, q := range []string{
		`mutation { createLead(input: {lastName: "Down", email: "down@gmail.com", source: WEB_FORM}) { id } }`,
		`{ leads(first: 5) { totalCount edges { node { id } } } }`,
	} {
		r := api.Do(t, q, nil)
		if len(r.Errors) == 0 || codes(r) != "UNAVAILABLE" {
			t.Errorf("%s: errors %+v, want UNAVAILABLE", q, r.Errors)
			continue
		}
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("%s: HTTP %d, want 503", q, r.Status)
		}
		if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra <= 0 {
			t.Errorf("%s: extensions %v lack retryAfter", q, r.Errors[0].Extensions)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, api.Server.URL+"/graphql", strings.NewReader(`{"query":"{ leads { totalCount } }"}`))
	req.Header = api.Header.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := api.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("HTTP %d, want 503 with Retry-After: %v", res.StatusCode, res.Header)
	}
}

// In a network blackhole the connections in use hang until their requests' deadline, but the
// requests beyond the pool do not queue behind them: they are told UNAVAILABLE once the pool's
// own acquisition timeout passes, well inside the request timeout.
func TestBlackholedDatabaseFailsFastBeyondThePool(t *testing.T) {
	api, proxy := startBehindProxy(t, store.Config{MaxOpenConns: 2, AcquireTimeout: 200 * time.Millisecond},
		func(c *app.Config) { c.Server.RequestTimeout = 20 * time.Second })
	// Before the blackhole the database answers; on a loaded machine the 200 ms acquisition
	// timeout may still pass while the job engine holds both connections, so ask until it does.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r := api.Do(t, `{ leads(first: 1) { totalCount } }`, nil)
		if len(r.Errors) == 0 {
			break
		}
		if r.Errors[0].Code() != "UNAVAILABLE" || time.Now().After(deadline) {
			t.Fatalf("before the blackhole: %+v", r.Errors)
		}
	}
	proxy.setBlackhole()

	const n = 6
	got := make(chan string, n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range n {
		go func() {
			body := strings.NewReader(`{"query":"{ leads(first: 1) { totalCount } }"}`)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, api.Server.URL+"/graphql", body)
			req.Header = api.Header.Clone()
			req.Header.Set("Content-Type", "application/json")
			res, err := api.Server.Client().Do(req)
			if err != nil {
				return // the hung ones, cancelled at the end
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			got <- string(b)
		}()
	}
	// The two pooled connections hang for 20 s; the other four must come back long before.
	for range n - 2 {
		select {
		case b := <-got:
			if !strings.Contains(b, `"UNAVAILABLE"`) {
				t.Errorf("answer %s, want UNAVAILABLE", b)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("requests beyond the pool waited for the request timeout")
		}
	}
}

// readyz answers the readiness probe: status and body.
func readyz(t *testing.T, api *apitest.Instance) (int, string) {
	t.Helper()
	res, err := api.Server.Client().Get(api.Server.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Readiness needs the schema at the migration this binary expects (and an active policy): a
// database whose newest migration is missing is not ready, and says so without naming the
// database, its host or its user; an unreachable one neither.
func TestReadinessNeedsTheExpectedSchema(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		if code, body := readyz(t, api); code != http.StatusOK || body != "ready" {
			t.Fatalf("migrated: %d %q", code, body)
		}
		want, _ := db.ExpectedVersion()
		q := "DELETE FROM " + store.RevisionsTable + " WHERE version = $1"
		if db.Dialect == "sqlite3" {
			q = "DELETE FROM " + store.RevisionsTable + " WHERE version = ?"
		}
		if _, err := db.SQL.ExecContext(context.Background(), q, want); err != nil {
			t.Fatal(err)
		}
		if code, body := readyz(t, api); code != http.StatusServiceUnavailable ||
			body != "not ready: the database schema is not at the expected migration" {
			t.Errorf("newest migration missing: %d %q", code, body)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		api, proxy := startBehindProxy(t, store.Config{})
		proxy.setDown()
		code, body := readyz(t, api)
		if code != http.StatusServiceUnavailable || body != "not ready: the database is unreachable" {
			t.Errorf("database down: %d %q", code, body)
		}
		for _, leak := range []string{"postgres", "127.0.0.1", "qualify_t_"} {
			if strings.Contains(body, leak) {
				t.Errorf("readyz shows %q: %q", leak, body)
			}
		}
	})
}
