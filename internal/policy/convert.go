package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// Inputs are built as ast.Values by hand: one pass, no JSON encoding, no reflection. The result
// equals what encoding/json would give for the contract's tags (omitempty included), except that
// nil slices become [] rather than null, so policies may count() them without a guard.
// convert_test.go checks both against encoding/json for every field of contract.go.

// key terms are shared by all inputs; OPA never modifies input terms.
var (
	kID, kSource, kStage, kBudget, kBudgetAmount      = ast.StringTerm("id"), ast.StringTerm("source"), ast.StringTerm("stage"), ast.StringTerm("budget"), ast.StringTerm("budget_amount")
	kAuthority, kNeed, kTiming, kTimingDate           = ast.StringTerm("authority"), ast.StringTerm("need"), ast.StringTerm("timing"), ast.StringTerm("timing_date")
	kEstimatedValue, kCountry, kCreatedAt             = ast.StringTerm("estimated_value"), ast.StringTerm("country"), ast.StringTerm("created_at")
	kStageEnteredAt, kDomain, kIndustry               = ast.StringTerm("stage_entered_at"), ast.StringTerm("domain"), ast.StringTerm("industry")
	kEmployeeCount, kAnnualRevenue, kRegion           = ast.StringTerm("employee_count"), ast.StringTerm("annual_revenue"), ast.StringTerm("region")
	kBuyingRole, kSeniority, kOnLead, kKind           = ast.StringTerm("buying_role"), ast.StringTerm("seniority"), ast.StringTerm("on_lead"), ast.StringTerm("kind")
	kOccurredAt, kStatus, kNow, kLead, kAccount       = ast.StringTerm("occurred_at"), ast.StringTerm("status"), ast.StringTerm("now"), ast.StringTerm("lead"), ast.StringTerm("account")
	kContacts, kActivities, kProjects, kFrom, kTo     = ast.StringTerm("contacts"), ast.StringTerm("activities"), ast.StringTerm("projects"), ast.StringTerm("from"), ast.StringTerm("to")
	kActor, kRole, kTrigger, kReasonCode, kReason     = ast.StringTerm("actor"), ast.StringTerm("role"), ast.StringTerm("trigger"), ast.StringTerm("reason_code"), ast.StringTerm("reason")
	kQualification, kFitScore, kEngagementScore       = ast.StringTerm("qualification"), ast.StringTerm("fit_score"), ast.StringTerm("engagement_score")
	kScore, kGrade, kTemperature, kBANT, kCoverage    = ast.StringTerm("score"), ast.StringTerm("grade"), ast.StringTerm("temperature"), ast.StringTerm("bant"), ast.StringTerm("coverage")
	kProjectSignal, kDisqualifyReasonCode, kReasons   = ast.StringTerm("project_signal"), ast.StringTerm("disqualify_reason_code"), ast.StringTerm("reasons")
	kConfirmed, kDecisionMaker, kRecommender          = ast.StringTerm("confirmed"), ast.StringTerm("decision_maker"), ast.StringTerm("recommender")
	kInfluencer, kCode, kMessage, kPoints, kTeam      = ast.StringTerm("influencer"), ast.StringTerm("code"), ast.StringTerm("message"), ast.StringTerm("points"), ast.StringTerm("team")
	kPrincipal, kOperation, kName                     = ast.StringTerm("principal"), ast.StringTerm("operation"), ast.StringTerm("name")
)

// obj collects up to a fixed number of items without growing.
type obj struct{ items [][2]*ast.Term }

func newObj(n int) obj { return obj{items: make([][2]*ast.Term, 0, n)} }

func (o *obj) str(k *ast.Term, s string)  { o.items = append(o.items, [2]*ast.Term{k, ast.InternedTerm(s)}) }
func (o *obj) num(k *ast.Term, f float64) { o.items = append(o.items, [2]*ast.Term{k, number(f)}) }
func (o *obj) int(k *ast.Term, i int)     { o.items = append(o.items, [2]*ast.Term{k, ast.IntNumberTerm(i)}) }
func (o *obj) bool(k *ast.Term, b bool)   { o.items = append(o.items, [2]*ast.Term{k, ast.InternedTerm(b)}) }
func (o *obj) val(k *ast.Term, v ast.Value) {
	o.items = append(o.items, [2]*ast.Term{k, ast.NewTerm(v)})
}

// strOmit and numOmit follow `json:",omitempty"`.
func (o *obj) strOmit(k *ast.Term, s string) {
	if s != "" {
		o.str(k, s)
	}
}

func (o *obj) numOmit(k *ast.Term, f float64) {
	if f != 0 {
		o.num(k, f)
	}
}

func (o *obj) value() ast.Object { return ast.NewObject(o.items...) }

// number keeps integral floats integral ("50000", not "50000.0" or "5e+04"), as encoding/json does.
func number(f float64) *ast.Term {
	if f == float64(int64(f)) && f >= -1e15 && f <= 1e15 {
		return ast.IntNumberTerm(int(f))
	}
	return ast.FloatNumberTerm(f)
}

func leadFactsValue(l *LeadFacts) ast.Value {
	o := newObj(15)
	o.str(kID, l.ID)
	o.str(kSource, l.Source)
	o.str(kStage, l.Stage)
	o.str(kBudget, l.Budget)
	o.numOmit(kBudgetAmount, l.BudgetAmount)
	o.str(kAuthority, l.Authority)
	o.str(kNeed, l.Need)
	o.str(kTiming, l.Timing)
	o.strOmit(kTimingDate, l.TimingDate)
	o.numOmit(kEstimatedValue, l.EstimatedValue)
	o.strOmit(kCountry, l.Country)
	o.str(kCreatedAt, l.CreatedAt)
	o.str(kStageEnteredAt, l.StageEnteredAt)
	return o.value()
}

func accountValue(a *AccountFacts) ast.Value {
	if a == nil {
		return ast.Null{}
	}
	o := newObj(7)
	o.str(kID, a.ID)
	o.str(kDomain, a.Domain)
	o.str(kIndustry, a.Industry)
	o.int(kEmployeeCount, a.EmployeeCount)
	o.num(kAnnualRevenue, a.AnnualRevenue)
	o.str(kCountry, a.Country)
	o.str(kRegion, a.Region)
	return o.value()
}

// array converts a slice element by element; elements are taken by pointer to avoid copies.
func array[T any](xs []T, conv func(*T) ast.Value) ast.Value {
	terms := make([]*ast.Term, len(xs))
	for i := range xs {
		terms[i] = ast.NewTerm(conv(&xs[i]))
	}
	return ast.NewArray(terms...)
}

func contactValue(c *ContactFacts) ast.Value {
	o := newObj(4)
	o.str(kID, c.ID)
	o.str(kBuyingRole, c.BuyingRole)
	o.str(kSeniority, c.Seniority)
	o.bool(kOnLead, c.OnLead)
	return o.value()
}

func activityValue(a *ActivityFacts) ast.Value {
	o := newObj(2)
	o.str(kKind, a.Kind)
	o.str(kOccurredAt, a.OccurredAt)
	return o.value()
}

func projectValue(p *ProjectFacts) ast.Value {
	o := newObj(2)
	o.str(kID, p.ID)
	o.str(kStatus, p.Status)
	return o.value()
}

func leadInputValue(in *LeadInput) ast.Value {
	o := newObj(6)
	o.str(kNow, in.Now)
	o.val(kLead, leadFactsValue(&in.Lead))
	o.val(kAccount, accountValue(in.Account))
	o.val(kContacts, array(in.Contacts, contactValue))
	o.val(kActivities, array(in.Activities, activityValue))
	o.val(kProjects, array(in.Projects, projectValue))
	return o.value()
}

func reasonValue(r *Reason) ast.Value {
	o := newObj(3)
	o.str(kCode, r.Code)
	o.str(kMessage, r.Message)
	o.int(kPoints, r.Points)
	return o.value()
}

func leadDecisionValue(d *LeadDecision) ast.Value {
	b := newObj(6)
	b.str(kBudget, d.BANT.Budget)
	b.str(kAuthority, d.BANT.Authority)
	b.str(kNeed, d.BANT.Need)
	b.str(kTiming, d.BANT.Timing)
	b.int(kConfirmed, d.BANT.Confirmed)
	b.str(kStatus, d.BANT.Status)
	c := newObj(3)
	c.bool(kDecisionMaker, d.Coverage.DecisionMaker)
	c.bool(kRecommender, d.Coverage.Recommender)
	c.bool(kInfluencer, d.Coverage.Influencer)

	o := newObj(11)
	o.int(kFitScore, d.FitScore)
	o.int(kEngagementScore, d.EngagementScore)
	o.int(kScore, d.Score)
	o.str(kGrade, d.Grade)
	o.str(kTemperature, d.Temperature)
	o.val(kBANT, b.value())
	o.val(kCoverage, c.value())
	o.bool(kProjectSignal, d.ProjectSignal)
	o.str(kStage, d.Stage)
	o.strOmit(kDisqualifyReasonCode, d.DisqualifyReasonCode)
	o.val(kReasons, array(d.Reasons, reasonValue))
	return o.value()
}

func transitionInputValue(in *TransitionInput) ast.Value {
	a := newObj(2)
	a.str(kID, in.Actor.ID)
	a.str(kRole, in.Actor.Role)
	o := newObj(8)
	o.val(kLead, leadFactsValue(&in.Lead))
	o.str(kFrom, in.From)
	o.str(kTo, in.To)
	o.val(kActor, a.value())
	o.str(kTrigger, in.Trigger)
	o.strOmit(kReasonCode, in.ReasonCode)
	o.strOmit(kReason, in.Reason)
	o.val(kQualification, leadDecisionValue(&in.Qualification))
	return o.value()
}

func routingInputValue(in *RoutingInput) ast.Value {
	o := newObj(3)
	o.val(kLead, leadFactsValue(&in.Lead))
	o.val(kAccount, accountValue(in.Account))
	o.str(kTo, in.To)
	return o.value()
}

func authzInputValue(in *AuthzInput) ast.Value {
	p := newObj(3)
	p.str(kID, in.Principal.ID)
	p.str(kRole, in.Principal.Role)
	p.str(kTeam, in.Principal.Team)
	op := newObj(2)
	op.str(kKind, in.Operation.Kind)
	op.str(kName, in.Operation.Name)
	o := newObj(2)
	o.val(kPrincipal, p.value())
	o.val(kOperation, op.value())
	return o.value()
}
