package policy

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// bundleServer serves one bundle archive the way an OPA bundle service does: ETag, and 304 for
// If-None-Match on the current ETag. It can be told to fail.
type bundleServer struct {
	mu      sync.Mutex
	archive []byte
	etag    string
	fail    bool

	hits, notModified atomic.Int32
}

func (s *bundleServer) set(t *testing.T, f Files) {
	t.Helper()
	b, err := readBundle(f) // OPA's bundle, written with OPA's writer, as `opa build` would
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).DisableFormat(true).Write(*b); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.archive, s.etag = buf.Bytes(), `"`+f.Hash()[:16]+`"`
}

func (s *bundleServer) setFail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

func (s *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.fail:
		http.Error(w, "bundle store unavailable", http.StatusInternalServerError)
	case r.Header.Get("If-None-Match") == s.etag:
		s.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
	default:
		w.Header().Set("ETag", s.etag)
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(s.archive)
	}
}

func TestBundleSource(t *testing.T) {
	ctx := context.Background()
	v1 := fixture(t)
	v2 := edit(t, v1, map[string]string{".manifest": `{"revision": "served-2", "roots": ["qualify"]}`})
	v3 := edit(t, v1, map[string]string{".manifest": `{"revision": "served-3", "roots": ["qualify"]}`})

	srv := &bundleServer{}
	srv.set(t, v1)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	e := newTestEngine(t, Options{})
	src := NewBundleSource(e, ts.URL+"/bundles/qualify.tar.gz", BundleOptions{
		Interval: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond,
		Header: http.Header{"Authorization": {"Bearer t"}}, Logger: testLogger(t),
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- src.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	servesRevision := func(id string) {
		t.Helper()
		waitFor(t, "revision "+id, func() bool { r := e.Active(); return r != nil && r.ID() == id })
		if _, meta, err := e.DecideLead(ctx, realisticLead()); err != nil || meta.Revision != id {
			t.Fatalf("decision on %q: %v", meta.Revision, err)
		}
	}
	servesRevision("fixture-1")
	if got := e.Active().Source(); got != ts.URL+"/bundles/qualify.tar.gz" {
		t.Errorf("source = %q", got)
	}
	waitFor(t, "304s for an unchanged bundle", func() bool { return srv.notModified.Load() >= 3 })

	srv.set(t, v2)
	servesRevision("served-2")

	// The service fails: the revision keeps serving and polls back off.
	srv.setFail(true)
	before := srv.hits.Load()
	time.Sleep(300 * time.Millisecond) // only to let failures accumulate; nothing is asserted on timing
	if e.Active().ID() != "served-2" {
		t.Fatal("revision changed while the service failed")
	}
	if n := srv.hits.Load() - before; n > 10 {
		t.Errorf("%d polls in 300ms against a failing service: no backoff", n)
	}
	srv.setFail(false)
	srv.set(t, v3)
	servesRevision("served-3")

	// A bad bundle from the service is refused once and not fetched again while unchanged.
	bad := edit(t, v3, map[string]string{".manifest": `{"revision": "bad", "roots": ["qualify"]}`, "qualify/bad_test.rego": "package qualify.bad_test\n\ntest_fails if false\n"})
	srv.set(t, bad)
	waitFor(t, "the refusal", func() bool { r, ok := e.LastRefused(); return ok && r.Revision == "bad" })
	waitFor(t, "304s for the refused bundle", func() bool { return srv.notModified.Load() >= 3 })
	servesRevision("served-3")

	// The service disappears altogether.
	ts.Close()
	if err := src.Sync(ctx); !errors.Is(err, errFetch) {
		t.Errorf("Sync against a closed server: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	servesRevision("served-3")
}

func TestBundleSourceSync(t *testing.T) {
	srv := &bundleServer{}
	srv.set(t, fixture(t))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := newTestEngine(t, Options{})
	src := NewBundleSource(e, ts.URL, BundleOptions{Logger: testLogger(t)})
	for i := range 3 {
		if err := src.Sync(context.Background()); err != nil {
			t.Fatalf("Sync %d: %v", i, err)
		}
	}
	if srv.notModified.Load() != 2 || e.Active().ID() != "fixture-1" {
		t.Errorf("304s = %d, active = %v", srv.notModified.Load(), e.Active())
	}
	srv.setFail(true)
	if err := src.Sync(context.Background()); !errors.Is(err, errFetch) {
		t.Errorf("Sync against a failing server: %v", err)
	}

	b := &BundleSource{interval: time.Second, maxBackoff: 8 * time.Second}
	for failures, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 8 * time.Second} {
		if d := b.backoff(failures); d < want*8/10 || d > want*12/10 {
			t.Errorf("backoff(%d) = %s, want %s ± 20%%", failures, d, want)
		}
	}
}
