package policy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

const fixtureDir = "testdata/bundle"

// deleteFile as an edit removes the file.
const deleteFile = "\x00delete"

func fixture(t testing.TB) Files {
	t.Helper()
	f, err := ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// edit returns f with files replaced, added or (deleteFile) removed.
func edit(t testing.TB, f Files, edits map[string]string) Files {
	t.Helper()
	m := map[string][]byte{}
	for p, c := range edits {
		if c == deleteFile {
			m[p] = nil
		} else {
			m[p] = []byte(c)
		}
	}
	out, err := f.With(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.EvalTimeout == 0 {
		// Only the deadline test is about deadlines; elsewhere a slow, busy -race run must not
		// turn into failed decisions.
		opts.EvalTimeout = 10 * time.Second
	}
	return New(opts)
}

func mustLoad(t testing.TB, e *Engine, f Files) *Revision {
	t.Helper()
	rev, err := e.Load(context.Background(), f, "test")
	if err != nil {
		t.Fatal(err)
	}
	<-rev.run.probed // the plans serve once the probe has checked them
	return rev
}

// waitFor polls cond until it holds; the timeout is generous because machines are slow under
// -race, and nothing asserts a fixed delay.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeTree writes files under dir, creating directories.
// writeTree writes f into dir, .manifest last: saving it releases the bundle.
func writeTree(t testing.TB, dir string, f Files) {
	t.Helper()
	paths := f.Paths()
	if i := slices.Index(paths, ".manifest"); i >= 0 {
		paths = append(slices.Delete(paths, i, i+1), ".manifest")
	}
	for _, p := range paths {
		b, _ := f.Get(p)
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type memRecorder struct {
	mu   sync.Mutex
	recs []RevisionRecord
}

func (r *memRecorder) RecordRevision(_ context.Context, rec RevisionRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}

func (r *memRecorder) statuses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		out = append(out, fmt.Sprintf("%s:%s", rec.Revision, rec.Status))
	}
	return out
}

// realisticLead is a lead as lifecycle sends it: an account, five contacts, ten activities.
func realisticLead() LeadInput {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	kinds := []string{"newsletter_signup", "web_visit", "content_download", "web_visit", "form_fill",
		"email_reply", "appointment_request", "discovery_call", "meeting", "demo"}
	var acts []ActivityFacts
	for i, k := range kinds {
		acts = append(acts, ActivityFacts{Kind: k, OccurredAt: now.Add(-time.Duration(100-i*10) * 24 * time.Hour).Format(time.RFC3339)})
	}
	return LeadInput{
		Now: now.Format(time.RFC3339),
		Lead: LeadFacts{
			ID: "01JNQ8Z6W3T5B7X9R2M4K6P8D0", Source: "web_form", Stage: "mql",
			Budget: "yes", BudgetAmount: 120000, Authority: "unknown", Need: "yes", Timing: "yes",
			TimingDate: "2025-06-30T00:00:00Z", EstimatedValue: 95000, Country: "DE",
			CreatedAt: "2024-11-20T10:15:00Z", StageEnteredAt: "2025-01-10T08:00:00Z",
		},
		Account: &AccountFacts{
			ID: "acc-1", Domain: "hansen-maschinenbau.de", Industry: "industrial_machinery",
			EmployeeCount: 640, AnnualRevenue: 87_500_000, Country: "DE", Region: "emea",
		},
		Contacts: []ContactFacts{
			{ID: "c1", BuyingRole: "decision_maker", Seniority: "c_level", OnLead: true},
			{ID: "c2", BuyingRole: "recommender", Seniority: "director", OnLead: true},
			{ID: "c3", BuyingRole: "influencer", Seniority: "manager"},
			{ID: "c4", BuyingRole: "user", Seniority: "individual"},
			{ID: "c5", BuyingRole: "gatekeeper", Seniority: "individual"},
		},
		Activities: acts,
		Projects:   []ProjectFacts{{ID: "p1", Status: "scheduled"}},
	}
}

func mustGet(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}
