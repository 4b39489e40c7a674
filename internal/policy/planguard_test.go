package policy

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualify/qualify/internal/irvm"
)

// syncBuffer is a log sink that tests read while the engine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A plan error is answered by topdown, counted each time and logged once per revision and query.
func TestPlanErrorFallsBackToTopdown(t *testing.T) {
	files := withLeadRules(t, `tier := 1 if input.lead.source == "referral"

tier := 2 if input.lead.source == "referral"

boosted if input.lead.country == "DE"

boosted if tier > 0

fit_reasons contains {"code": "fit.boost", "message": "boosted", "points": 1} if boosted
`, "")
	reg := prometheus.NewRegistry()
	var logs syncBuffer
	e := newTestEngine(t, Options{Registerer: reg, ShadowRate: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rev := mustLoad(t, e, files)
	if ev := rev.Evaluators()[qLead]; ev.Evaluator != EvaluatorPlan {
		t.Fatalf("the lead decision is on %s: %s", ev.Evaluator, ev.Reason)
	}
	in := realisticLead()
	in.Lead.Source, in.Lead.Country = "referral", "DE"
	want, werr := opaLead(t, files, in)
	for range 3 {
		got, _, err := e.DecideLead(context.Background(), in)
		if err != nil || werr != nil {
			t.Fatalf("engine: %v; OPA: %v", err, werr)
		}
		if _, ok := hasReason(got, "fit.boost"); !ok || len(got.Reasons) != len(want.Reasons) {
			t.Fatalf("the engine's reasons %+v, OPA's %+v", got.Reasons, want.Reasons)
		}
	}
	if n := counterValue(t, reg, "qualify_policy_plan_fallbacks_total", "query", QueryLead, "reason", "error"); n != 3 {
		t.Fatalf("%v fallbacks counted, want 3", n)
	}
	if n := strings.Count(logs.String(), "answered by topdown"); n != 1 {
		t.Fatalf("fallback logged %d times, want once:\n%s", n, logs.String())
	}
}

// A live answer of the plan that topdown does not give demotes that decision of that revision to
// topdown at once, and says so in Evaluators. The disagreement is injected: the revision is
// given the plan of another bundle, one with an extra reason for one lead.
func TestShadowDisagreementDemotes(t *testing.T) {
	plain := fixture(t)
	other := withLeadRules(t, `fit_reasons contains {"code": "fit.odd", "message": "odd", "points": 1} if input.lead.id == "odd"
`, "")
	reg := prometheus.NewRegistry()
	e := newTestEngine(t, Options{ShadowRate: 1, Registerer: reg})
	rev := mustLoad(t, e, plain)
	donor := mustLoad(t, newTestEngine(t, Options{}), other)
	rev.programs[qLead] = donor.programs[qLead]

	ctx := context.Background()
	in := realisticLead()
	if _, _, err := e.DecideLead(ctx, in); err != nil { // the plans agree on this lead
		t.Fatal(err)
	}
	in.Lead.ID = "odd"
	got, _, err := e.DecideLead(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hasReason(got, "fit.odd"); !ok {
		t.Fatal("the injected plan did not answer: the test injects nothing")
	}
	waitFor(t, "the lead decision to move to topdown", func() bool {
		return rev.Evaluators()[qLead].Evaluator == EvaluatorTopdown
	})
	if why := rev.Evaluators()[qLead].Reason; !strings.Contains(why, "disagreed with topdown on a live decision") {
		t.Fatalf("reason %q", why)
	}
	if n := counterValue(t, reg, "qualify_policy_plan_demotions_total", "query", QueryLead); n != 1 {
		t.Fatalf("%v demotions counted", n)
	}
	if n := counterValue(t, reg, "qualify_policy_shadow_checks_total", "query", QueryLead, "result", "disagree"); n != 1 {
		t.Fatalf("%v disagreements counted", n)
	}
	got, _, err = e.DecideLead(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hasReason(got, "fit.odd"); ok {
		t.Fatal("the demoted plan still answers")
	}
	for q, ev := range rev.Evaluators() {
		if q != qLead && ev.Evaluator != EvaluatorPlan {
			t.Fatalf("%s demoted too: %s", ev.Query, ev.Reason)
		}
	}
}

// The probe's inputs cover the contract's shapes and the bundle's vocabulary.
func TestProbeInputsCoverTheBundle(t *testing.T) {
	files := fixture(t)
	b, err := readBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, Options{})
	rev := mustLoad(t, e, files)
	data, err := dataDocumentOf(b.Data)
	if err != nil {
		t.Fatal(err)
	}
	inputs := probeInputs(data)
	total := 0
	for _, ins := range inputs {
		total += len(ins)
	}
	if total < 250 {
		t.Fatalf("%d probe inputs", total)
	}
	text := func(q int) string {
		var sb strings.Builder
		for _, in := range inputs[q] {
			sb.WriteString(toJSONText(in))
		}
		return sb.String()
	}
	leads, transitions := text(qLead), text(qTransition)
	for _, s := range rev.Stages() {
		if !strings.Contains(leads, `"stage":"`+s.Key+`"`) || !strings.Contains(transitions, `"to":"`+s.Key+`"`) {
			t.Errorf("stage %s is never probed", s.Key)
		}
	}
	for _, want := range []string{`"account":null`, `"contacts":[]`, `"budget":"yes"`, `"budget":"no"`, `"budget":"unknown"`, `"budget":""`,
		`"employee_count":1000`, `"employee_count":999`, `"employee_count":1001`, `"industry":"logistics"`} {
		if !strings.Contains(leads, want) {
			t.Errorf("no probe lead has %s", want)
		}
	}
}

func dataDocumentOf(data map[string]any) (ast.Value, error) { return ast.InterfaceToValue(data) }

// toJSONText is v in Rego's notation without the blank after a colon.
func toJSONText(v irvm.Value) string { return strings.ReplaceAll(irvm.ToAST(v).String(), ": ", ":") }

// counterValue reads a counter of reg by name and labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s %v", name, labels)
	return 0
}
