package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/topdown"
)

// The probe asks every decision of a new revision a few ordinary questions and refuses the
// revision unless each answer has the shape contract.go expects. Tests prove what the policy
// author thought of; the probe proves the Go side can read what the policy says.

// probeNow is fixed so that a probe is reproducible.
const probeNow = "2025-03-03T09:00:00Z"

var probeLead = LeadFacts{
	ID: "probe-lead", Source: "web_form", Stage: "mql",
	Budget: "yes", BudgetAmount: 60000, Authority: "yes", Need: "yes", Timing: "unknown",
	EstimatedValue: 45000, Country: "DE",
	CreatedAt: "2025-01-20T10:15:00Z", StageEnteredAt: "2025-02-10T08:00:00Z",
}

var probeAccount = AccountFacts{
	ID: "probe-account", Domain: "example-machines.de", Industry: "manufacturing",
	EmployeeCount: 420, AnnualRevenue: 52_000_000, Country: "DE", Region: "emea",
}

// probeLeadInputs: a well-known lead, and a bare one (no account, nothing known) because a
// policy that is undefined for a lead without an account is a common mistake.
func probeLeadInputs() []probeCase[LeadInput] {
	account := probeAccount
	return []probeCase[LeadInput]{
		{"engaged lead with account", LeadInput{
			Now: probeNow, Lead: probeLead, Account: &account,
			Contacts: []ContactFacts{
				{ID: "probe-c1", BuyingRole: "decision_maker", Seniority: "c_level", OnLead: true},
				{ID: "probe-c2", BuyingRole: "influencer", Seniority: "manager"},
			},
			Activities: []ActivityFacts{
				{Kind: "form_fill", OccurredAt: "2025-02-08T14:00:00Z"},
				{Kind: "demo", OccurredAt: "2025-02-25T15:30:00Z"},
				{Kind: "web_visit", OccurredAt: "2025-03-01T11:02:00Z"},
			},
			Projects: []ProjectFacts{{ID: "probe-p1", Status: "planned"}},
		}},
		{"bare lead without account", LeadInput{
			Now: probeNow,
			Lead: LeadFacts{ID: "probe-bare", Source: "newsletter", Stage: "lead",
				Budget: "unknown", Authority: "unknown", Need: "unknown", Timing: "unknown",
				CreatedAt: "2025-03-01T08:00:00Z", StageEnteredAt: "2025-03-01T08:00:00Z"},
		}},
	}
}

func probeTransitionInputs() []probeCase[TransitionInput] {
	return []probeCase[TransitionInput]{
		{"bdr moves mql to sql", TransitionInput{Lead: probeLead, From: "mql", To: "sql",
			Actor: Actor{ID: "probe-user", Role: "bdr"}, Trigger: "manual", Qualification: probeQualification()}},
		{"disqualify without reason", TransitionInput{Lead: probeLead, From: "mql", To: "disqualified",
			Actor: Actor{ID: "probe-user", Role: "bdr"}, Trigger: "manual", Qualification: probeQualification()}},
	}
}

func probeRoutingInput() RoutingInput {
	account := probeAccount
	return RoutingInput{Lead: probeLead, Account: &account, To: "sal"}
}

func probeAuthzInput() AuthzInput {
	return AuthzInput{Principal: Principal{ID: "probe-user", Role: "bdr", Team: "emea"}, Operation: Operation{Kind: "query", Name: "leads"}}
}

// probeScheduleInputs: an engaged lead qualified a while ago, and a bare one never qualified.
func probeScheduleInputs() []probeCase[ScheduleInput] {
	return []probeCase[ScheduleInput]{
		{"engaged lead qualified a month ago", ScheduleInput{
			Now: probeNow, Lead: probeLead, QualifiedAt: "2025-02-01T09:00:00Z", Escalated: []string{},
			Activities: []ActivityFacts{{Kind: "form_fill", OccurredAt: "2025-02-08T14:00:00Z"}, {Kind: "demo", OccurredAt: "2025-02-25T15:30:00Z"}},
		}},
		{"bare lead never qualified", ScheduleInput{
			Now: probeNow, Lead: LeadFacts{ID: "probe-bare", Source: "newsletter", Stage: "lead",
				Budget: "unknown", Authority: "unknown", Need: "unknown", Timing: "unknown",
				CreatedAt: "2025-03-01T08:00:00Z", StageEnteredAt: "2025-03-01T08:00:00Z"},
		}},
	}
}

type probeCase[T any] struct {
	name string
	in   T
}

func probeQualification() LeadDecision {
	return LeadDecision{
		FitScore: 30, EngagementScore: 25, Score: 55, Grade: "B", Temperature: "warm",
		BANT:     BANT{Budget: "yes", Authority: "yes", Need: "yes", Timing: "unknown", Confirmed: 3, Status: "qualified"},
		Coverage: Coverage{DecisionMaker: true, Influencer: true},
		Stage:    "sql",
		Reasons:  []Reason{{Code: "fit.industry", Message: "target industry", Points: 12}},
	}
}

// probe returns one problem per decision that fails on a probe input.
// The decisions here are topdown's: the plans are checked later (probegen.go).
func probe(ctx context.Context, rev *Revision, timeout time.Duration) []Problem {
	var probs []Problem
	fail := func(q int, input string, err error) {
		probs = append(probs, probeProblem(rev, q, input, err))
	}
	for _, c := range probeLeadInputs() {
		if _, _, err := rev.decideLead(ctx, &c.in, timeout); err != nil {
			fail(qLead, c.name, err)
		}
	}
	for _, c := range probeTransitionInputs() {
		if _, _, err := rev.decideTransition(ctx, &c.in, timeout); err != nil {
			fail(qTransition, c.name, err)
		}
	}
	routing := probeRoutingInput()
	if _, _, err := rev.decideRouting(ctx, &routing, timeout); err != nil {
		fail(qRouting, "lead reaching sal", err)
	}
	authz := probeAuthzInput()
	if _, _, err := rev.decideAuthz(ctx, &authz, timeout); err != nil {
		fail(qAuthz, "bdr lists leads", err)
	}
	for _, c := range probeScheduleInputs() {
		if _, _, err := rev.decideSchedule(ctx, &c.in, timeout); err != nil {
			fail(qSchedule, c.name, err)
		}
	}
	return probs
}

// probeProblem locates a probe failure: at the policy's own error location when evaluation
// failed there, else at the rule that defines the decision.
func probeProblem(rev *Revision, q int, input string, err error) Problem {
	cause := err
	if ee, ok := errors.AsType[*EvalError](err); ok {
		cause = ee.Err
	}
	p := Problem{}
	if loc := rev.rules[q]; loc != nil {
		p.File, p.Row, p.Col = bundlePath(loc.File), loc.Row, loc.Col
	}
	var te *topdown.Error
	switch {
	case errors.Is(cause, ErrUndefined):
		p.Message = fmt.Sprintf("%s: decision of the wrong shape: undefined for the probe input %q (is a default missing?)", queryNames[q], input)
		if rev.rules[q] == nil {
			p.Message = fmt.Sprintf("%s: decision of the wrong shape: no rule defines it", queryNames[q])
		}
	case errors.Is(cause, ErrWrongShape):
		p.Message = fmt.Sprintf("%s: %v (probe input %q)", queryNames[q], cause, input)
	case errors.As(cause, &te):
		p = astProblem(te.Location, te.Code, te.Message)
		if p.File == "" && rev.rules[q] != nil {
			p.File, p.Row, p.Col = bundlePath(rev.rules[q].File), rev.rules[q].Row, rev.rules[q].Col
		}
		p.Message = fmt.Sprintf("%s failed on the probe input %q: %s", queryNames[q], input, p.Message)
	default:
		p.Message = fmt.Sprintf("%s failed on the probe input %q: %v", queryNames[q], input, cause)
	}
	return p
}
