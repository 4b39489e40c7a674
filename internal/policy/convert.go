package policy

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/qualify/qualify/internal/irvm"
)

// Inputs are built as plan values by hand: one pass, no JSON encoding, no reflection, and the
// keys of each kind of object sorted once (irvm.Shape). The result equals what encoding/json
// would give for the contract's tags (omitempty included), except that nil slices become []
// rather than null, so policies may count() them without a guard. convert_test.go checks both
// against encoding/json for every field of contract.go. Topdown gets their ast form (irvm.ToAST).

var (
	leadShape = irvm.NewShape("id", "source", "stage", "budget", "authority", "need", "timing", "created_at",
		"stage_entered_at", "budget_amount", "timing_date", "estimated_value", "country", "manual")
	manualShape       = irvm.NewShape("from", "to", "at", "reason_code")
	accountShape      = irvm.NewShape("id", "domain", "industry", "employee_count", "annual_revenue", "country", "region")
	contactShape      = irvm.NewShape("id", "buying_role", "seniority", "on_lead")
	activityShape     = irvm.NewShape("kind", "occurred_at")
	projectShape      = irvm.NewShape("id", "status")
	leadInputShape    = irvm.NewShape("now", "lead", "account", "contacts", "activities", "projects")
	reasonShape       = irvm.NewShape("code", "message", "points")
	bantShape         = irvm.NewShape("budget", "authority", "need", "timing", "confirmed", "status")
	coverageShape     = irvm.NewShape("decision_maker", "recommender", "influencer")
	leadDecisionShape = irvm.NewShape("fit_score", "engagement_score", "score", "grade", "temperature", "bant", "coverage", "project_signal", "stage", "reasons", "disqualify_reason_code")
	actorShape        = irvm.NewShape("id", "role")
	transitionShape   = irvm.NewShape("lead", "from", "to", "actor", "trigger", "qualification", "reason_code", "reason")
	routingShape      = irvm.NewShape("lead", "account", "to")
	principalShape    = irvm.NewShape("id", "role", "team")
	operationShape    = irvm.NewShape("kind", "name")
	authzShape        = irvm.NewShape("principal", "operation")
	scheduleShape     = irvm.NewShape("now", "lead", "activities", "escalated", "qualified_at")
)

// enums are the strings of the closed vocabularies of contract.go (stages, BANT answers, roles,
// activity kinds …), boxed once: most strings of an input are one of them. Others are boxed
// per input.
var enums = func() map[string]irvm.Value {
	words := `unknown no yes lead mql sal sql opportunity customer nurture disqualified
		web_form newsletter trade_fair directory referral paid_ad social outbound partner
		decision_maker recommender influencer user gatekeeper
		c_level vp director manager individual
		newsletter_signup form_fill content_download web_visit appointment_request discovery_call
		meeting demo email_reply event_visit planned scheduled in_progress done
		emea na latam apac marketing bdr ae revops analyst admin system
		manual auto api import requalify schedule query mutation subscription`
	m := map[string]irvm.Value{}
	for _, w := range strings.Fields(words) {
		m[w] = w
	}
	return m
}()

func enum(s string) irvm.Value {
	if v, ok := enums[s]; ok {
		return v
	}
	return s
}

// optStr and optNum follow `json:",omitempty"`: nil leaves the key out.
func optStr(s string) irvm.Value {
	if s == "" {
		return nil
	}
	return s
}

func optNum(f float64) irvm.Value {
	if f == 0 {
		return nil
	}
	return number(f)
}

// number keeps integral floats integral ("50000", not "50000.0" or "5e+04"), as encoding/json does.
func number(f float64) irvm.Value {
	if f == float64(int64(f)) && f >= -1e15 && f <= 1e15 {
		return int64(f)
	}
	return ast.FloatNumberTerm(f).Value
}

func leadFactsValue(l *LeadFacts) irvm.Value {
	return leadShape.Object(l.ID, enum(l.Source), enum(l.Stage), enum(l.Budget), enum(l.Authority), enum(l.Need), enum(l.Timing), l.CreatedAt,
		l.StageEnteredAt, optNum(l.BudgetAmount), optStr(l.TimingDate), optNum(l.EstimatedValue), optStr(l.Country), manualValue(l.Manual))
}

// manualValue leaves the key out when m is nil (omitempty).
func manualValue(m *ManualDecision) irvm.Value {
	if m == nil {
		return nil
	}
	return manualShape.Object(enum(m.From), enum(m.To), m.At, optStr(m.ReasonCode))
}

func accountValue(a *AccountFacts) irvm.Value {
	if a == nil {
		return irvm.Null
	}
	return accountShape.Object(a.ID, a.Domain, a.Industry, int64(a.EmployeeCount), number(a.AnnualRevenue), a.Country, enum(a.Region))
}

// array converts a slice of structs to an array of objects of one shape, all allocated at once;
// elements are taken by pointer to avoid copies.
func array[T any](xs []T, shape *irvm.Shape, fill func(*irvm.Object, *T)) irvm.Value {
	objs, elems := shape.Objects(len(xs)), make([]irvm.Value, len(xs))
	for i := range xs {
		fill(&objs[i], &xs[i])
		elems[i] = &objs[i]
	}
	return irvm.NewArray(elems...)
}

func fillContact(o *irvm.Object, c *ContactFacts) {
	contactShape.Fill(o, c.ID, enum(c.BuyingRole), enum(c.Seniority), c.OnLead)
}

func fillActivity(o *irvm.Object, a *ActivityFacts) {
	activityShape.Fill(o, enum(a.Kind), a.OccurredAt)
}

func fillProject(o *irvm.Object, p *ProjectFacts) { projectShape.Fill(o, p.ID, enum(p.Status)) }

func leadInputValue(in *LeadInput) irvm.Value {
	return leadInputShape.Object(in.Now, leadFactsValue(&in.Lead), accountValue(in.Account),
		array(in.Contacts, contactShape, fillContact), array(in.Activities, activityShape, fillActivity),
		array(in.Projects, projectShape, fillProject))
}

func fillReason(o *irvm.Object, r *Reason) { reasonShape.Fill(o, r.Code, r.Message, int64(r.Points)) }

func leadDecisionValue(d *LeadDecision) irvm.Value {
	b, c := &d.BANT, &d.Coverage
	return leadDecisionShape.Object(int64(d.FitScore), int64(d.EngagementScore), int64(d.Score), d.Grade, d.Temperature,
		bantShape.Object(b.Budget, b.Authority, b.Need, b.Timing, int64(b.Confirmed), b.Status),
		coverageShape.Object(c.DecisionMaker, c.Recommender, c.Influencer),
		d.ProjectSignal, enum(d.Stage), array(d.Reasons, reasonShape, fillReason), optStr(d.DisqualifyReasonCode))
}

func transitionInputValue(in *TransitionInput) irvm.Value {
	return transitionShape.Object(leadFactsValue(&in.Lead), enum(in.From), enum(in.To), actorShape.Object(in.Actor.ID, enum(in.Actor.Role)),
		enum(in.Trigger), leadDecisionValue(&in.Qualification), optStr(in.ReasonCode), optStr(in.Reason))
}

func routingInputValue(in *RoutingInput) irvm.Value {
	return routingShape.Object(leadFactsValue(&in.Lead), accountValue(in.Account), enum(in.To))
}

func authzInputValue(in *AuthzInput) irvm.Value {
	p := &in.Principal
	return authzShape.Object(principalShape.Object(p.ID, enum(p.Role), enum(p.Team)), operationShape.Object(enum(in.Operation.Kind), in.Operation.Name))
}

func scheduleInputValue(in *ScheduleInput) irvm.Value {
	esc := make([]irvm.Value, len(in.Escalated))
	for i, e := range in.Escalated {
		esc[i] = e
	}
	return scheduleShape.Object(in.Now, leadFactsValue(&in.Lead), array(in.Activities, activityShape, fillActivity),
		irvm.NewArray(esc...), optStr(in.QualifiedAt))
}
