package policy

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Inputs are built as ast.Values by hand: one pass, no JSON encoding, no reflection. The result
// equals what encoding/json would give for the contract's tags (omitempty included), except that
// nil slices become [] rather than null, so policies may count() them without a guard.
// convert_test.go checks both against encoding/json for every field of contract.go.

// key terms are shared by all inputs; OPA never modifies input terms.
var (
	kID, kSource, kStage, kBudget, kBudgetAmount    = ast.StringTerm("id"), ast.StringTerm("source"), ast.StringTerm("stage"), ast.StringTerm("budget"), ast.StringTerm("budget_amount")
	kAuthority, kNeed, kTiming, kTimingDate         = ast.StringTerm("authority"), ast.StringTerm("need"), ast.StringTerm("timing"), ast.StringTerm("timing_date")
	kEstimatedValue, kCountry, kCreatedAt           = ast.StringTerm("estimated_value"), ast.StringTerm("country"), ast.StringTerm("created_at")
	kStageEnteredAt, kDomain, kIndustry             = ast.StringTerm("stage_entered_at"), ast.StringTerm("domain"), ast.StringTerm("industry")
	kEmployeeCount, kAnnualRevenue, kRegion         = ast.StringTerm("employee_count"), ast.StringTerm("annual_revenue"), ast.StringTerm("region")
	kBuyingRole, kSeniority, kOnLead, kKind         = ast.StringTerm("buying_role"), ast.StringTerm("seniority"), ast.StringTerm("on_lead"), ast.StringTerm("kind")
	kOccurredAt, kStatus, kNow, kLead, kAccount     = ast.StringTerm("occurred_at"), ast.StringTerm("status"), ast.StringTerm("now"), ast.StringTerm("lead"), ast.StringTerm("account")
	kContacts, kActivities, kProjects, kFrom, kTo   = ast.StringTerm("contacts"), ast.StringTerm("activities"), ast.StringTerm("projects"), ast.StringTerm("from"), ast.StringTerm("to")
	kActor, kRole, kTrigger, kReasonCode, kReason   = ast.StringTerm("actor"), ast.StringTerm("role"), ast.StringTerm("trigger"), ast.StringTerm("reason_code"), ast.StringTerm("reason")
	kQualification, kFitScore, kEngagementScore     = ast.StringTerm("qualification"), ast.StringTerm("fit_score"), ast.StringTerm("engagement_score")
	kScore, kGrade, kTemperature, kBANT, kCoverage  = ast.StringTerm("score"), ast.StringTerm("grade"), ast.StringTerm("temperature"), ast.StringTerm("bant"), ast.StringTerm("coverage")
	kProjectSignal, kDisqualifyReasonCode, kReasons = ast.StringTerm("project_signal"), ast.StringTerm("disqualify_reason_code"), ast.StringTerm("reasons")
	kConfirmed, kDecisionMaker, kRecommender        = ast.StringTerm("confirmed"), ast.StringTerm("decision_maker"), ast.StringTerm("recommender")
	kInfluencer, kCode, kMessage, kPoints, kTeam    = ast.StringTerm("influencer"), ast.StringTerm("code"), ast.StringTerm("message"), ast.StringTerm("points"), ast.StringTerm("team")
	kPrincipal, kOperation, kName                   = ast.StringTerm("principal"), ast.StringTerm("operation"), ast.StringTerm("name")
)

// enumTerms are prebuilt terms for the closed vocabularies of contract.go (stages, BANT answers,
// roles, activity kinds …): most strings of an input are one of them, and a shared term costs no
// allocation. Other strings get a term of their own.
var enumTerms = func() map[string]*ast.Term {
	words := `unknown no yes lead mql sal sql opportunity customer nurture disqualified
		web_form newsletter trade_fair directory referral paid_ad social outbound partner
		decision_maker recommender influencer user gatekeeper
		c_level vp director manager individual
		newsletter_signup form_fill content_download web_visit appointment_request discovery_call
		meeting demo email_reply event_visit planned scheduled in_progress done
		emea na latam apac marketing bdr ae revops analyst admin system
		manual auto api import requalify query mutation subscription`
	m := map[string]*ast.Term{}
	for _, w := range strings.Fields(words) {
		m[w] = ast.StringTerm(w)
	}
	return m
}()

func strTerm(s string) *ast.Term {
	if t, ok := enumTerms[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// Objects are built from items in stack buffers: ast.NewObject copies them.
type item = [2]*ast.Term

func strItem(k *ast.Term, s string) item    { return item{k, strTerm(s)} }
func intItem(k *ast.Term, i int) item       { return item{k, ast.IntNumberTerm(i)} }
func boolItem(k *ast.Term, b bool) item     { return item{k, ast.InternedTerm(b)} }
func valItem(k *ast.Term, v ast.Value) item { return item{k, ast.NewTerm(v)} }

// appendStr and appendNum follow `json:",omitempty"`.
func appendStr(items []item, k *ast.Term, s string) []item {
	if s == "" {
		return items
	}
	return append(items, strItem(k, s))
}

func appendNum(items []item, k *ast.Term, f float64) []item {
	if f == 0 {
		return items
	}
	return append(items, item{k, number(f)})
}

// number keeps integral floats integral ("50000", not "50000.0" or "5e+04"), as encoding/json does.
func number(f float64) *ast.Term {
	if f == float64(int64(f)) && f >= -1e15 && f <= 1e15 {
		return ast.IntNumberTerm(int(f))
	}
	return ast.FloatNumberTerm(f)
}

func leadFactsValue(l *LeadFacts) ast.Value {
	var buf [13]item
	items := append(buf[:0],
		strItem(kID, l.ID), strItem(kSource, l.Source), strItem(kStage, l.Stage),
		strItem(kBudget, l.Budget), strItem(kAuthority, l.Authority), strItem(kNeed, l.Need),
		strItem(kTiming, l.Timing), strItem(kCreatedAt, l.CreatedAt), strItem(kStageEnteredAt, l.StageEnteredAt))
	items = appendNum(items, kBudgetAmount, l.BudgetAmount)
	items = appendStr(items, kTimingDate, l.TimingDate)
	items = appendNum(items, kEstimatedValue, l.EstimatedValue)
	items = appendStr(items, kCountry, l.Country)
	return ast.NewObject(items...)
}

func accountValue(a *AccountFacts) ast.Value {
	if a == nil {
		return ast.InternedNullValue
	}
	return ast.NewObject(
		strItem(kID, a.ID), strItem(kDomain, a.Domain), strItem(kIndustry, a.Industry),
		intItem(kEmployeeCount, a.EmployeeCount), item{kAnnualRevenue, number(a.AnnualRevenue)},
		strItem(kCountry, a.Country), strItem(kRegion, a.Region))
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
	return ast.NewObject(strItem(kID, c.ID), strItem(kBuyingRole, c.BuyingRole), strItem(kSeniority, c.Seniority), boolItem(kOnLead, c.OnLead))
}

func activityValue(a *ActivityFacts) ast.Value {
	return ast.NewObject(strItem(kKind, a.Kind), strItem(kOccurredAt, a.OccurredAt))
}

func projectValue(p *ProjectFacts) ast.Value {
	return ast.NewObject(strItem(kID, p.ID), strItem(kStatus, p.Status))
}

func leadInputValue(in *LeadInput) ast.Value {
	return ast.NewObject(
		strItem(kNow, in.Now),
		valItem(kLead, leadFactsValue(&in.Lead)),
		valItem(kAccount, accountValue(in.Account)),
		valItem(kContacts, array(in.Contacts, contactValue)),
		valItem(kActivities, array(in.Activities, activityValue)),
		valItem(kProjects, array(in.Projects, projectValue)))
}

func reasonValue(r *Reason) ast.Value {
	return ast.NewObject(strItem(kCode, r.Code), strItem(kMessage, r.Message), intItem(kPoints, r.Points))
}

func leadDecisionValue(d *LeadDecision) ast.Value {
	b := &d.BANT
	bant := ast.NewObject(strItem(kBudget, b.Budget), strItem(kAuthority, b.Authority), strItem(kNeed, b.Need),
		strItem(kTiming, b.Timing), intItem(kConfirmed, b.Confirmed), strItem(kStatus, b.Status))
	c := &d.Coverage
	coverage := ast.NewObject(boolItem(kDecisionMaker, c.DecisionMaker), boolItem(kRecommender, c.Recommender), boolItem(kInfluencer, c.Influencer))
	var buf [11]item
	items := append(buf[:0],
		intItem(kFitScore, d.FitScore), intItem(kEngagementScore, d.EngagementScore), intItem(kScore, d.Score),
		strItem(kGrade, d.Grade), strItem(kTemperature, d.Temperature), valItem(kBANT, bant), valItem(kCoverage, coverage),
		boolItem(kProjectSignal, d.ProjectSignal), strItem(kStage, d.Stage), valItem(kReasons, array(d.Reasons, reasonValue)))
	items = appendStr(items, kDisqualifyReasonCode, d.DisqualifyReasonCode)
	return ast.NewObject(items...)
}

func transitionInputValue(in *TransitionInput) ast.Value {
	actor := ast.NewObject(strItem(kID, in.Actor.ID), strItem(kRole, in.Actor.Role))
	var buf [8]item
	items := append(buf[:0],
		valItem(kLead, leadFactsValue(&in.Lead)), strItem(kFrom, in.From), strItem(kTo, in.To),
		valItem(kActor, actor), strItem(kTrigger, in.Trigger), valItem(kQualification, leadDecisionValue(&in.Qualification)))
	items = appendStr(items, kReasonCode, in.ReasonCode)
	items = appendStr(items, kReason, in.Reason)
	return ast.NewObject(items...)
}

func routingInputValue(in *RoutingInput) ast.Value {
	return ast.NewObject(valItem(kLead, leadFactsValue(&in.Lead)), valItem(kAccount, accountValue(in.Account)), strItem(kTo, in.To))
}

func authzInputValue(in *AuthzInput) ast.Value {
	p := &in.Principal
	principal := ast.NewObject(strItem(kID, p.ID), strItem(kRole, p.Role), strItem(kTeam, p.Team))
	operation := ast.NewObject(strItem(kKind, in.Operation.Kind), strItem(kName, in.Operation.Name))
	return ast.NewObject(valItem(kPrincipal, principal), valItem(kOperation, operation))
}
