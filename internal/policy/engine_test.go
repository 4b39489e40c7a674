package policy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNoActivePolicy(t *testing.T) {
	e := newTestEngine(t, Options{})
	if _, _, err := e.DecideLead(context.Background(), realisticLead()); !errors.Is(err, ErrNoActivePolicy) {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := e.DecideAuthz(context.Background(), AuthzInput{}); !errors.Is(err, ErrNoActivePolicy) {
		t.Fatalf("err = %v", err)
	}
	if e.Active() != nil {
		t.Fatal("active revision before any load")
	}
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	rev := mustLoad(t, e, fixture(t))

	d, meta, err := e.DecideLead(ctx, realisticLead())
	if err != nil {
		t.Fatal(err)
	}
	if meta.Revision != "fixture-1" || meta.Hash != rev.Hash() || len(meta.DecisionID) != 26 {
		t.Errorf("meta = %+v", meta)
	}
	if d.Grade != "A" || d.Temperature != "hot" || d.Stage != "mql" || !d.Coverage.DecisionMaker || !d.ProjectSignal ||
		d.BANT.Status != "qualified" || d.Score != d.FitScore+d.EngagementScore || len(d.Reasons) == 0 {
		t.Errorf("lead decision = %+v", d)
	}
	if !slices.IsSortedFunc(d.Reasons, func(a, b Reason) int { return strings.Compare(a.Code, b.Code) }) {
		t.Errorf("reasons from a set should come sorted: %+v", d.Reasons)
	}

	td, _, err := e.DecideTransition(ctx, TransitionInput{Lead: realisticLead().Lead, From: "sql", To: "mql",
		Actor: Actor{ID: "u1", Role: "bdr"}, Trigger: "manual", Qualification: d})
	if err != nil || td.Allow || len(td.Reasons) != 2 {
		t.Errorf("transition = %+v, %v", td, err)
	}
	rd, _, err := e.DecideRouting(ctx, RoutingInput{Lead: realisticLead().Lead, Account: realisticLead().Account, To: "sql"})
	if err != nil || rd.Team != "emea-sales" || rd.Role != "ae" || len(rd.Reasons) != 1 {
		t.Errorf("routing = %+v, %v", rd, err)
	}
	ad, _, err := e.DecideAuthz(ctx, AuthzInput{Principal: Principal{ID: "u", Role: "analyst"}, Operation: Operation{Kind: "query", Name: "leads"}})
	if err != nil || !ad.Allow || ad.RowFilter != "all" || !slices.Equal(ad.Redact, []string{"contact.email", "contact.phone"}) {
		t.Errorf("authz = %+v, %v", ad, err)
	}

	ids := map[string]bool{}
	for range 1000 {
		id := newDecisionID(time.Now())
		if ids[id] {
			t.Fatalf("decision id %s twice", id)
		}
		ids[id] = true
	}
}

// Every refusal keeps the previous revision serving, is recorded, and is retrievable.
func TestRefusedLoadKeepsServing(t *testing.T) {
	ctx := context.Background()
	rec := &memRecorder{}
	e := newTestEngine(t, Options{Recorder: rec})
	good := mustLoad(t, e, fixture(t))
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			bad := edit(t, fixture(t), tc.edits)
			rev, err := e.Load(ctx, bad, "test")
			var refused *RefusedError
			if rev != nil || !errors.As(err, &refused) {
				t.Fatalf("Load = %v, %v; want a *RefusedError", rev, err)
			}
			if refused.Hash != bad.Hash() || !strings.Contains(err.Error(), "refused") {
				t.Errorf("refusal %v", err)
			}
			if e.Active() != good {
				t.Fatal("active revision changed")
			}
			_, meta, err := e.DecideLead(ctx, realisticLead())
			if err != nil || meta.Hash != good.Hash() {
				t.Fatalf("decision after refusal: %v on %s, want %s", err, meta.Hash, good.Hash())
			}
			last, ok := e.LastRefused()
			if !ok || last.Hash != bad.Hash() || last.Status != StatusRefused || len(last.Problems) == 0 {
				t.Fatalf("LastRefused = %+v", last)
			}
		})
	}
	if got := rec.statuses(); got[0] != "fixture-1:active" || len(got) != 1+len(refusals) || slices.Contains(got[1:], "fixture-1:active") {
		t.Errorf("records = %v", got)
	}
}

func TestGuardRecorderAndHooks(t *testing.T) {
	ctx := context.Background()
	rec := &memRecorder{}
	var veto atomic.Bool
	guard := GuardFunc(func(_ context.Context, rev *Revision) error {
		if veto.Load() {
			return errors.New("stage nurture still holds 3 leads")
		}
		return nil
	})
	e := newTestEngine(t, Options{Guard: guard, Recorder: rec})
	var hooks []string
	e.OnActivate(func(_ context.Context, rev, prev *Revision) error {
		p := "none"
		if prev != nil {
			p = prev.ID()
		}
		hooks = append(hooks, rev.ID()+"<-"+p)
		return nil
	})
	e.OnActivate(func(context.Context, *Revision, *Revision) error { return errors.New("metrics down") }) // logged only

	v1 := fixture(t)
	v2 := edit(t, v1, map[string]string{".manifest": `{"revision": "fixture-2", "roots": ["qualify"]}`})
	v3 := edit(t, v1, map[string]string{".manifest": `{"revision": "fixture-3", "roots": ["qualify"]}`})
	mustLoad(t, e, v1)
	if rev, err := e.Load(ctx, v1, "again"); err != nil || rev.Source() != "test" {
		t.Errorf("reloading the active content: %v, %v", rev, err) // a no-op, not a new load
	}
	mustLoad(t, e, v2)
	veto.Store(true)
	_, err := e.Load(ctx, v3, "test")
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "activation refused: stage nurture still holds 3 leads") {
		t.Fatalf("guard veto: %v", err)
	}
	if e.Active().ID() != "fixture-2" {
		t.Errorf("active = %s after a veto", e.Active().ID())
	}
	veto.Store(false)
	mustLoad(t, e, v3)

	want := []string{"fixture-1:active", "fixture-1:superseded", "fixture-2:active", "fixture-3:refused", "fixture-2:superseded", "fixture-3:active"}
	if got := rec.statuses(); !slices.Equal(got, want) {
		t.Errorf("records\n got %v\nwant %v", got, want)
	}
	if got := strings.Join(hooks, " "); got != "fixture-1<-none fixture-2<-fixture-1 fixture-3<-fixture-2" {
		t.Errorf("hooks: %s", got)
	}
	r := rec.recs[len(rec.recs)-1]
	if r.Files.Hash() != v3.Hash() || r.Source != "test" || r.LoadedAt.IsZero() || r.ChangedAt.Before(r.LoadedAt) {
		t.Errorf("record = %+v", r)
	}
}

// A policy that runs away hits the deadline; one that errors says so; neither changes anything.
func TestDecisionDeadlineAndErrors(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{EvalTimeout: 50 * time.Millisecond})
	rev := mustLoad(t, e, edit(t, fixture(t), map[string]string{"qualify/runaway.rego": `package qualify.lead

fit_reasons contains {"code": "spin", "message": "never", "points": n} if {
	input.lead.source == "spin"
	n := count([1 | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000); some k in numbers.range(1, 5000); i + j == k])
}

grade := "X" if input.lead.source == "conflict"
`}))

	cases := []struct {
		source  string
		timeout bool
		msg     string
	}{
		{"spin", true, "evaluation stopped after 50ms"},
		{"conflict", false, "eval_conflict_error"},
	}
	for _, tc := range cases {
		in := realisticLead()
		in.Lead.Source = tc.source
		start := time.Now()
		_, meta, err := e.DecideLead(ctx, in)
		var ee *EvalError
		if !errors.As(err, &ee) || ee.Timeout() != tc.timeout || !strings.Contains(err.Error(), tc.msg) ||
			ee.Query != QueryLead || ee.Hash != rev.Hash() || meta.Hash != rev.Hash() {
			t.Errorf("%s: err = %v", tc.source, err)
		}
		if tc.timeout && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: not a deadline error: %v", tc.source, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: the deadline stopped evaluation only after %s", tc.source, took)
		}
	}
	if _, _, err := e.DecideLead(ctx, realisticLead()); err != nil || e.Active() != rev {
		t.Errorf("after failures: %v", err)
	}

	// The caller's own cancellation is reported as such, not as the policy's deadline.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	in := realisticLead()
	in.Lead.Source = "spin"
	if _, _, err := e.DecideLead(cctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
}

// An engine built without an EvalTimeout decides under the server's deadline of one second,
// so that the CLI's engines (publish, simulate, requalify) judge a policy as the server does.
func TestDefaultDecisionDeadline(t *testing.T) {
	e := New(Options{Logger: testLogger(t)})
	mustLoad(t, e, edit(t, fixture(t), map[string]string{"qualify/runaway.rego": `package qualify.lead

fit_reasons contains {"code": "spin", "message": "never", "points": n} if {
	input.lead.source == "spin"
	n := count([1 | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000); some k in numbers.range(1, 5000); i + j == k])
}
`}))
	in := realisticLead()
	in.Lead.Source = "spin"
	_, _, err := e.DecideLead(context.Background(), in)
	var ee *EvalError
	if !errors.As(err, &ee) || !ee.Timeout() || !strings.Contains(err.Error(), "evaluation stopped after "+DefaultEvalTimeout.String()) {
		t.Errorf("err = %v, want the deadline of %s", err, DefaultEvalTimeout)
	}
}

// Decisions in flight during swaps finish on the revision they started with (run with -race).
func TestConcurrentDecisionsDuringSwaps(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	versions := []Files{fixture(t)}
	for i := range 3 {
		versions = append(versions, edit(t, fixture(t), map[string]string{
			".manifest": `{"revision": "v` + string(rune('a'+i)) + `", "roots": ["qualify"]}`}))
	}
	mustLoad(t, e, versions[0])
	hashes := map[string]bool{}
	for _, v := range versions {
		hashes[v.Hash()] = true
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, meta, err := e.DecideLead(ctx, realisticLead())
				if err != nil || !hashes[meta.Hash] {
					t.Errorf("decision during swap: %v, %+v", err, meta)
					return
				}
			}
		})
	}
	for i := range 12 { // swaps in quick succession: each stops the probe of the one before
		if _, err := e.Load(ctx, versions[i%len(versions)], "test"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}
