package policy

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/qualify/qualify/internal/irvm"
)

// The reproductions of issue 14: plausible edits of the bundle on which the plan evaluator
// answered differently from OPA, or took the process down. Each goes through the engine's public
// API and compares with OPA's own rego on the same files.

// withLeadRules adds a module to the fixture's lead package (and data, when given).
func withLeadRules(t *testing.T, rules, data string) Files {
	t.Helper()
	edits := map[string]string{"qualify/extra.rego": "package qualify.lead\n\nimport data.qualify.config as cfg\n\n" + rules}
	if data != "" {
		edits["data.json"] = data
	}
	return edit(t, fixture(t), edits)
}

// opaLead is OPA's answer to the lead decision of files: the decision, or OPA's error.
func opaLead(t *testing.T, files Files, in LeadInput) (LeadDecision, error) {
	t.Helper()
	b, err := readBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rego.New(rego.Query(QueryLead), rego.ParsedBundle("b", b),
		rego.ParsedInput(irvm.ToAST(leadInputValue(&in)))).Eval(context.Background())
	if err != nil {
		return LeadDecision{}, err
	}
	if len(rs) != 1 {
		t.Fatalf("OPA: %d results", len(rs))
	}
	av, err := ast.InterfaceToValue(rs[0].Expressions[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	v, err := irvm.FromAST(av)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decodeLeadDecision(v)
	if err != nil {
		t.Fatal(err)
	}
	return d, nil
}

// noPanic runs f and fails the test instead of the test binary when f panics.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	f()
}

// engineLead activates files on a new engine and decides in.
func engineLead(t *testing.T, files Files, in LeadInput) (d LeadDecision, err error) {
	t.Helper()
	noPanic(t, "the engine", func() {
		e := newTestEngine(t, Options{})
		mustLoad(t, e, files)
		d, _, err = e.DecideLead(context.Background(), in)
	})
	return d, err
}

func sameAsOPA(t *testing.T, files Files, in LeadInput) LeadDecision {
	t.Helper()
	want, werr := opaLead(t, files, in)
	got, gerr := engineLead(t, files, in)
	if werr != nil {
		t.Fatalf("OPA errs: %v", werr)
	}
	if gerr != nil {
		t.Fatalf("OPA answers %+v; the engine errs: %v", want.Reasons, gerr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the engine answers\n %+v\nOPA\n %+v", got, want)
	}
	return got
}

func hasReason(d LeadDecision, code string) (Reason, bool) {
	for _, r := range d.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// walk has several outputs; the plan scans all of them.
func TestReproWalkKeepsEveryOutput(t *testing.T) {
	files := withLeadRules(t, `fit_reasons contains {"code": "fit.test", "message": "test lead", "points": count(paths)} if {
	paths := [p | walk(input, [p, v]); v == "test"]
	count(paths) > 0
}
`, "")
	in := realisticLead()
	in.Lead.ID = "test"
	d := sameAsOPA(t, files, in)
	if _, ok := hasReason(d, "fit.test"); !ok {
		t.Fatalf("no fit.test reason in %+v", d.Reasons)
	}
}

// A number looks up a base document's string key, as topdown reads data from the store.
func TestReproNumberKeyIntoData(t *testing.T) {
	data := strings.Replace(string(mustGet(fixtureDir+"/data.json")), `"mql_score"`, `"bonus": {"2": 5, "3": 7}, "mql_score"`, 1)
	files := withLeadRules(t, `fit_reasons contains {"code": "fit.projects", "message": "projects", "points": cfg.bonus[count(input.projects)]}
`, data)
	in := realisticLead()
	in.Projects = []ProjectFacts{{ID: "p1", Status: "planned"}, {ID: "p2", Status: "done"}}
	d := sameAsOPA(t, files, in)
	if r, ok := hasReason(d, "fit.projects"); !ok || r.Points != 5 {
		t.Fatalf("fit.projects: %+v, want 5 points", d.Reasons)
	}
}

// OPA stops at the first body of a complete rule with a constant value that holds (early exit),
// so a conflict in a later body is never seen; the plan runs every body.
func TestReproConflictInBodyOPASkips(t *testing.T) {
	files := withLeadRules(t, `tier := 1 if input.lead.source == "referral"

tier := 2 if input.lead.source == "referral"

boosted if input.lead.country == "DE"

boosted if tier > 0

fit_reasons contains {"code": "fit.boost", "message": "boosted", "points": 1} if boosted
`, "")
	in := realisticLead()
	in.Lead.Source, in.Lead.Country = "referral", "DE"
	d := sameAsOPA(t, files, in)
	if _, ok := hasReason(d, "fit.boost"); !ok {
		t.Fatalf("no fit.boost reason in %+v", d.Reasons)
	}
}

// rand.intn needs the random source OPA's built-in context carries.
func TestReproRandIntn(t *testing.T) {
	files := withLeadRules(t, `fit_reasons contains {"code": "fit.lottery", "message": "drawn", "points": rand.intn("lottery", 5)} if input.lead.id == "lottery"
`, "")
	in := realisticLead()
	in.Lead.ID = "lottery"
	got, err := engineLead(t, files, in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := opaLead(t, files, in)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := hasReason(got, "fit.lottery")
	if !ok || r.Points < 0 || r.Points >= 5 {
		t.Fatalf("fit.lottery: %+v", got.Reasons)
	}
	if _, ok := hasReason(want, "fit.lottery"); !ok || len(got.Reasons) != len(want.Reasons) {
		t.Fatalf("the engine's reasons %+v, OPA's %+v", got.Reasons, want.Reasons)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// uuid.rfc4122 reads the same random source.
func TestReproUUID(t *testing.T) {
	files := withLeadRules(t, `fit_reasons contains {"code": "fit.ticket", "message": uuid.rfc4122("ticket"), "points": 0} if input.lead.id == "ticket"
`, "")
	in := realisticLead()
	in.Lead.ID = "ticket"
	got, err := engineLead(t, files, in)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := hasReason(got, "fit.ticket"); !ok || !uuidPattern.MatchString(r.Message) {
		t.Fatalf("fit.ticket: %+v", got.Reasons)
	}
	want, err := opaLead(t, files, in)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := hasReason(want, "fit.ticket"); !ok || !uuidPattern.MatchString(r.Message) {
		t.Fatalf("OPA's fit.ticket: %+v", want.Reasons)
	}
}

// explode is a built-in that panics, registered for this test binary only: it stands for any
// bug in an evaluator or a built-in.
const explode = "qualify_test.explode"

func init() {
	rego.RegisterBuiltin1(&rego.Function{Name: explode, Decl: types.NewFunction(types.Args(types.S), types.S)},
		func(rego.BuiltinContext, *ast.Term) (*ast.Term, error) { panic("the built-in exploded") })
}

// A panic while a revision is verified refuses it, with a message; the process goes on.
func TestReproPanicInVerifyRefuses(t *testing.T) {
	// Only the probe's lead reaches it: a panic in the goroutines of OPA's test runner is beyond
	// any recover of ours.
	files := withLeadRules(t, `fit_reasons contains {"code": "fit.boom", "message": `+explode+`("x"), "points": 0} if input.lead.id == "probe-lead"
`, "")
	e := newTestEngine(t, Options{})
	var rev *Revision
	var rep *Report
	noPanic(t, "Engine.Verify", func() { rev, rep = e.Verify(context.Background(), files) })
	if rev != nil || rep.OK() {
		t.Fatal("a revision whose decision panics was accepted")
	}
	if !strings.Contains(fmt.Sprint(rep.Problems), "panic") {
		t.Fatalf("problems %v do not say it panicked", rep.Problems)
	}
	var err error
	noPanic(t, "Engine.Load", func() { _, err = e.Load(context.Background(), files, "test") })
	if _, ok := errors.AsType[*RefusedError](err); !ok {
		t.Fatalf("Load: %v, want a refusal", err)
	}
}

// panicLoader is a Loader with a bug.
type panicLoader struct{}

func (panicLoader) Load(context.Context, Files, string) (*Revision, error) { panic("loader bug") }

// A panic under a source's Sync (its goroutine runs Sync) is an error of that sync, not a crash.
func TestReproPanicInSourceGoroutines(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, fixture(t))
	var err error
	noPanic(t, "DirSource.Sync", func() {
		err = NewDirSource(panicLoader{}, dir, DirOptions{Logger: testLogger(t)}).Sync(context.Background())
	})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("DirSource.Sync: %v, want an error saying it panicked", err)
	}
	srv := &bundleServer{}
	srv.set(t, fixture(t))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	noPanic(t, "BundleSource.Sync", func() {
		err = NewBundleSource(panicLoader{}, ts.URL, BundleOptions{Logger: testLogger(t)}).Sync(context.Background())
	})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("BundleSource.Sync: %v, want an error saying it panicked", err)
	}
}

// A conflict is reported as OPA reports it: the rule named, at its location.
func TestReproConflictErrorIsOPAs(t *testing.T) {
	files := withLeadRules(t, `tier := 1 if input.lead.source == "referral"

tier := 2 if input.lead.source == "referral"

fit_reasons contains {"code": "fit.tier", "message": "tier", "points": tier}
`, "")
	in := realisticLead()
	in.Lead.Source = "referral"
	_, werr := opaLead(t, files, in)
	_, gerr := engineLead(t, files, in)
	var want, got *topdown.Error
	if !errors.As(werr, &want) || !errors.As(gerr, &got) {
		t.Fatalf("OPA: %v; engine: %v", werr, gerr)
	}
	if !strings.Contains(want.Message, "data.qualify.lead.tier") {
		t.Fatalf("OPA's message changed: %q", want.Message)
	}
	if got.Code != want.Code || got.Message != want.Message || got.Location.String() != want.Location.String() {
		t.Fatalf("the engine's conflict %q at %v; OPA's %q at %v", got.Message, got.Location, want.Message, want.Location)
	}
}
