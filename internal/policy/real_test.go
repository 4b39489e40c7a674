package policy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// realDir is the shipped bundle, written beside this package by the policy authors.
const realDir = "../../policies"

func hasRealBundle() bool {
	_, err := os.Stat(filepath.Join(realDir, ".manifest"))
	return err == nil
}

// The shipped bundle passes the whole pipeline and answers realistic questions.
func TestRealBundle(t *testing.T) {
	if !hasRealBundle() {
		t.Skip(realDir + " has no .manifest yet")
	}
	ctx := context.Background()
	rep := Check(ctx, realDir)
	var out testWriter
	out.t = t
	_ = rep.WriteText(&out, false)
	if !rep.OK() {
		t.Fatalf("%s refused", realDir)
	}
	if rep.Passed() == 0 {
		t.Error("the shipped bundle has no tests")
	}

	files, err := ReadDir(realDir)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, Options{})
	rev := mustLoad(t, e, files)
	var keys []string
	for _, s := range rev.Stages() {
		keys = append(keys, s.Key)
	}
	for _, want := range []string{"lead", "mql", "sal", "sql", "opportunity", "customer", "nurture", "disqualified"} {
		if !slices.Contains(keys, want) {
			t.Errorf("stage %s missing from %v", want, keys)
		}
	}

	lead, meta, err := e.DecideLead(ctx, realisticLead())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("realistic lead on %s: score %d (fit %d, engagement %d) grade %s %s, stage %s, %d reasons",
		meta.Revision, lead.Score, lead.FitScore, lead.EngagementScore, lead.Grade, lead.Temperature, lead.Stage, len(lead.Reasons))

	bare := LeadInput{Now: probeNow, Lead: LeadFacts{ID: "l", Source: "newsletter", Stage: "lead",
		Budget: "unknown", Authority: "unknown", Need: "unknown", Timing: "unknown",
		CreatedAt: probeNow, StageEnteredAt: probeNow}}
	if _, _, err := e.DecideLead(ctx, bare); err != nil {
		t.Errorf("bare lead: %v", err)
	}
	back, _, err := e.DecideTransition(ctx, TransitionInput{Lead: realisticLead().Lead, From: "sql", To: "mql",
		Actor: Actor{ID: "u", Role: "bdr"}, Trigger: "manual", Qualification: lead})
	if err != nil || back.Allow {
		t.Errorf("a BDR moving a lead backwards without a reason: %+v, %v", back, err)
	}
	dq, _, err := e.DecideTransition(ctx, TransitionInput{Lead: realisticLead().Lead, From: "mql", To: "disqualified",
		Actor: Actor{ID: "u", Role: "bdr"}, Trigger: "manual", Qualification: lead})
	if err != nil || dq.Allow {
		t.Errorf("disqualifying without a reason code: %+v, %v", dq, err)
	}
	if _, _, err := e.DecideRouting(ctx, RoutingInput{Lead: realisticLead().Lead, Account: realisticLead().Account, To: "sql"}); err != nil {
		t.Errorf("routing: %v", err)
	}
	if _, _, err := e.DecideAuthz(ctx, AuthzInput{Principal: Principal{ID: "u", Role: "bdr", Team: "emea"},
		Operation: Operation{Kind: "query", Name: "leads"}}); err != nil {
		t.Errorf("authz: %v", err)
	}
}

// testWriter logs a report line by line.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}
