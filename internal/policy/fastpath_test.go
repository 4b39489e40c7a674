package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/qualify/qualify/internal/irvm"
)

// Every decision of the shipped bundle runs on the plan evaluator, and gives what topdown
// gives on random inputs that reach every branch: stages, BANT answers, misfits, idle and
// fresh activity, missing accounts, roles and operations.
func TestPlanAgreesWithTopdownOnShippedBundle(t *testing.T) {
	if !hasRealBundle() {
		t.Skip(realDir + " has no .manifest yet")
	}
	files, err := ReadDir(realDir)
	if err != nil {
		t.Fatal(err)
	}
	rev := mustLoad(t, newTestEngine(t, Options{}), files)
	for _, ev := range rev.Evaluators() {
		if ev.Evaluator != EvaluatorPlan {
			t.Fatalf("%s is served by %s: %s", ev.Query, ev.Evaluator, ev.Reason)
		}
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(q int, input irvm.Value) {
		t.Helper()
		now := time.Now()
		want, werr := rev.evalOn(ctx, rev.queries[q], q, irvm.ToAST(input), time.Second, now)
		got, gerr := rev.evalPlan(ctx, rev.programs[q], q, input, time.Second, now)
		if (werr == nil) != (gerr == nil) || (werr == nil && ast.Compare(want, irvm.ToAST(got)) != 0) {
			t.Fatalf("%s on %v:\n topdown %v %v\n plan    %v %v", queryNames[q], input, want, werr, got, gerr)
		}
	}
	for range 400 {
		in := randomLead(rng)
		check(qLead, leadInputValue(&in))
		d, _, err := rev.DecideLead(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		tr := TransitionInput{Lead: in.Lead, From: in.Lead.Stage, To: pick(rng, stageKeys), Trigger: pick(rng, []string{"manual", "auto", "requalify"}),
			Actor: Actor{ID: "u1", Role: pick(rng, roles)}, Qualification: d, ReasonCode: pick(rng, []string{"", "no_budget", "excluded_country"}),
			Reason: pick(rng, []string{"", "asked to stop"})}
		check(qTransition, transitionInputValue(&tr))
		ro := RoutingInput{Lead: in.Lead, Account: in.Account, To: pick(rng, []string{"sal", "sql", "mql"})}
		check(qRouting, routingInputValue(&ro))
		az := AuthzInput{Principal: Principal{ID: "u1", Role: pick(rng, roles), Team: pick(rng, []string{"emea", "na", ""})},
			Operation: Operation{Kind: pick(rng, []string{"query", "mutation", "subscription"}),
				Name: pick(rng, []string{"leads", "transitionLead", "publishPolicy", "funnel", "createApiKey", "node", "nope"})}}
		check(qAuthz, authzInputValue(&az))
		sc := ScheduleInput{Now: in.Now, Lead: in.Lead, Activities: in.Activities, QualifiedAt: pick(rng, []string{"", in.Lead.CreatedAt, in.Now}),
			Escalated: pick(rng, [][]string{{}, {"mql_acceptance"}})}
		check(qSchedule, scheduleInputValue(&sc))
	}
}

var (
	stageKeys = []string{"lead", "mql", "sal", "sql", "opportunity", "customer", "nurture", "disqualified", "bogus"}
	roles     = []string{"bdr", "ae", "marketing", "revops", "analyst", "admin", "system", "nobody"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func randomLead(rng *rand.Rand) LeadInput {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	day := func(max int) string {
		return now.Add(-time.Duration(rng.IntN(max*24)) * time.Hour).Format(time.RFC3339)
	}
	answer := func() string { return pick(rng, []string{"yes", "no", "unknown", "", "maybe"}) }
	in := LeadInput{
		Now: now.Format(time.RFC3339),
		Lead: LeadFacts{ID: "l", Source: pick(rng, []string{"web_form", "referral", "trade_fair"}), Stage: pick(rng, stageKeys),
			Budget: answer(), Authority: answer(), Need: answer(), Timing: answer(),
			Country: pick(rng, []string{"", "DE", "cu", "US"}), CreatedAt: day(400), StageEnteredAt: day(100)},
	}
	if rng.IntN(4) > 0 {
		in.Account = &AccountFacts{ID: "a", Industry: pick(rng, []string{"manufacturing", "software", "gambling", "retail", ""}),
			EmployeeCount: rng.IntN(3000), Country: pick(rng, []string{"DE", "KP", "", "FR"}), Region: pick(rng, []string{"emea", "na", "mars", ""})}
	}
	for range rng.IntN(6) {
		in.Contacts = append(in.Contacts, ContactFacts{ID: "c", BuyingRole: pick(rng, []string{"decision_maker", "recommender", "influencer", "user", ""}), Seniority: "manager"})
	}
	for range rng.IntN(12) {
		in.Activities = append(in.Activities, ActivityFacts{Kind: pick(rng, []string{"newsletter_signup", "web_visit", "demo", "appointment_request", "discovery_call", "unknown_kind"}), OccurredAt: day(200)})
	}
	if rng.IntN(3) == 0 {
		in.Projects = []ProjectFacts{{ID: "p", Status: pick(rng, []string{"planned", "done", "in_progress"})}}
	}
	return in
}

// An input converted once decides like the input itself, on any revision.
func TestDecideConverted(t *testing.T) {
	files, err := ReadDir(realDir)
	if err != nil {
		t.Fatal(err)
	}
	rev := mustLoad(t, newTestEngine(t, Options{}), files)
	in := realisticLead()
	want, _, err := rev.DecideLead(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := rev.DecideConverted(context.Background(), ConvertLeadInput(&in))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatalf("converted input decides %+v, the input %+v", got, want)
	}
}
