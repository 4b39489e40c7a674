package policy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/qualify/qualify/internal/irvm"
)

// The plan probe: before the plan evaluator serves a decision of a revision, the decision is
// asked a few hundred generated questions on both evaluators, and a decision whose plan answers
// one of them differently from topdown stays on topdown. It runs in the background once the
// revision is verified (topdown serves until then). The inputs have the contract's
// shapes (contract.go) and draw their values from the contract's vocabularies and from the
// bundle's own data.json, thresholds ±1 included, so that they reach the branches an edit of
// the policy or of its configuration adds. They are generated from a fixed seed: a revision
// gets the same probe every time it is loaded.

// Probe sizes per decision; the lead decision has the most branches and costs the most.
const (
	probeLeads       = 100
	probeTransitions = 100
	probeRoutings    = 30
	probeAuthzs      = 40
	probeSchedules   = 60
)

// vocab is what generated inputs are made of: the contract's values and the data's.
type vocab struct {
	strings []string // every string and object key of data.json, and the contract's enumerations
	data    []string // the strings and keys of data.json alone, taken in turn (cycle)
	next    map[string]int
	numbers []int // every integer of data.json, ±1, and 0
	stages  []string
	rng     *rand.Rand
}

var contractWords = []string{
	"", "unknown", "yes", "no", "web_form", "newsletter", "trade_fair", "directory", "referral", "paid_ad", "social",
	"outbound", "partner", "emea", "na", "latam", "apac", "decision_maker", "recommender", "influencer", "user",
	"gatekeeper", "c_level", "vp", "director", "manager", "individual", "newsletter_signup", "form_fill",
	"content_download", "web_visit", "appointment_request", "discovery_call", "meeting", "demo", "email_reply",
	"event_visit", "planned", "scheduled", "in_progress", "done", "marketing", "bdr", "ae", "revops", "analyst",
	"admin", "system", "manual", "auto", "api", "import", "requalify", "schedule", "query", "mutation", "subscription",
	"qualified", "partial", "unqualified", "A", "B", "C", "D", "hot", "warm", "cold", "DE", "US", "FR", "KP",
	"leads", "lead", "transitionLead", "publishPolicy", "funnel", "createApiKey", "node", "policyStatus",
}

func newVocab(data ast.Value, seed uint64) *vocab {
	v := &vocab{rng: rand.New(rand.NewPCG(seed, 1)), next: map[string]int{}}
	seen := map[string]bool{}
	nums := map[int]bool{0: true}
	addString := func(s string) {
		if !seen[s] {
			seen[s] = true
			v.strings = append(v.strings, s)
		}
	}
	for _, s := range contractWords {
		addString(s)
	}
	var walk func(x ast.Value)
	walk = func(x ast.Value) {
		switch x := x.(type) {
		case ast.String:
			addString(string(x))
			v.data = append(v.data, string(x))
		case ast.Number:
			if i, ok := x.Int(); ok {
				nums[i-1], nums[i], nums[i+1] = true, true, true
			}
		case *ast.Array:
			x.Foreach(func(t *ast.Term) { walk(t.Value) })
		case ast.Object:
			x.Foreach(func(k, val *ast.Term) {
				walk(k.Value)
				walk(val.Value)
			})
		}
	}
	if data != nil {
		walk(data)
		if stages, err := data.Find(ast.Ref{ast.StringTerm("qualify"), ast.StringTerm("stages")}); err == nil {
			if arr, ok := stages.(*ast.Array); ok {
				arr.Foreach(func(t *ast.Term) {
					if k := t.Get(ast.StringTerm("key")); k != nil {
						if s, ok := k.Value.(ast.String); ok {
							v.stages = append(v.stages, string(s))
						}
					}
				})
			}
		}
	}
	for n := range nums {
		v.numbers = append(v.numbers, n)
	}
	slices.Sort(v.numbers) // map order is random; the probe is not
	v.stages = append(v.stages, "lead", "mql", "sal", "sql", "bogus")
	return v
}

func (v *vocab) word() string { return v.strings[v.rng.IntN(len(v.strings))] }

// cycle is, for one field, the data's strings in turn, so that every key of a table in
// data.json (an industry, an activity kind) reaches the field once the field has been asked
// for often enough.
func (v *vocab) cycle(field string) string {
	if len(v.data) == 0 || v.rng.IntN(4) == 0 {
		return v.word()
	}
	i := v.next[field]
	v.next[field] = i + 1
	return v.data[i%len(v.data)]
}

// oneOf is a value of a known vocabulary most of the time, any word sometimes.
func (v *vocab) oneOf(xs ...string) string {
	if v.rng.IntN(5) == 0 {
		return v.word()
	}
	return xs[v.rng.IntN(len(xs))]
}

func (v *vocab) number() int { return v.numbers[v.rng.IntN(len(v.numbers))] }

// cycleNumber is, for one field, the data's numbers (±1) in turn: every threshold is crossed.
func (v *vocab) cycleNumber(field string) int {
	i := v.next[field]
	v.next[field] = i + 1
	return v.numbers[i%len(v.numbers)]
}

func (v *vocab) stage() string { return v.stages[v.rng.IntN(len(v.stages))] }

// daysAgo is a time some days before the probe's now, on either side of the data's windows.
func (v *vocab) daysAgo() string {
	now, _ := time.Parse(time.RFC3339, probeNow)
	return now.Add(-time.Duration(v.number()) * 24 * time.Hour).Format(time.RFC3339)
}

func (v *vocab) answer() string { return v.oneOf("yes", "no", "unknown", "") }

func (v *vocab) lead() LeadFacts {
	l := LeadFacts{
		ID: "probe-" + v.word(), Source: v.oneOf("web_form", "referral", "trade_fair", "partner", "outbound"), Stage: v.stage(),
		Budget: v.answer(), Authority: v.answer(), Need: v.answer(), Timing: v.answer(),
		Country: v.oneOf("DE", "US", "", "KP"), CreatedAt: v.daysAgo(), StageEnteredAt: v.daysAgo(),
	}
	if v.rng.IntN(2) == 0 {
		l.BudgetAmount, l.EstimatedValue, l.TimingDate = float64(v.number()*1000), float64(v.number()*1000), v.daysAgo()
	}
	return l
}

func (v *vocab) account() *AccountFacts {
	if v.rng.IntN(4) == 0 {
		return nil
	}
	return &AccountFacts{ID: "probe-account", Domain: "example.com", Industry: v.cycle("industry"), EmployeeCount: v.cycleNumber("employees"),
		AnnualRevenue: float64(v.number()) * 1e5, Country: v.oneOf("DE", "US", "KP", ""), Region: v.oneOf("emea", "na", "apac", "")}
}

func (v *vocab) leadInput() LeadInput {
	in := LeadInput{Now: probeNow, Lead: v.lead(), Account: v.account()}
	for range v.rng.IntN(5) {
		in.Contacts = append(in.Contacts, ContactFacts{ID: "c", BuyingRole: v.oneOf("decision_maker", "recommender", "influencer", "user", "gatekeeper"),
			Seniority: v.oneOf("c_level", "vp", "director", "manager", "individual"), OnLead: v.rng.IntN(2) == 0})
	}
	for range v.rng.IntN(9) {
		in.Activities = append(in.Activities, ActivityFacts{Kind: v.cycle("activity"), OccurredAt: v.daysAgo()})
	}
	for range v.rng.IntN(4) {
		in.Projects = append(in.Projects, ProjectFacts{ID: "p", Status: v.oneOf("planned", "scheduled", "in_progress", "done")})
	}
	return in
}

func (v *vocab) qualification() LeadDecision {
	fit, eng := v.number(), v.number()
	return LeadDecision{
		FitScore: fit, EngagementScore: eng, Score: fit + eng, Grade: v.oneOf("A", "B", "C", "D"), Temperature: v.oneOf("hot", "warm", "cold"),
		BANT: BANT{Budget: v.answer(), Authority: v.answer(), Need: v.answer(), Timing: v.answer(), Confirmed: v.rng.IntN(5),
			Status: v.oneOf("qualified", "partial", "unqualified")},
		Coverage:      Coverage{DecisionMaker: v.rng.IntN(2) == 0, Recommender: v.rng.IntN(2) == 0, Influencer: v.rng.IntN(2) == 0},
		ProjectSignal: v.rng.IntN(2) == 0, Stage: v.stage(), Reasons: v.reasons(),
	}
}

func (v *vocab) reasons() []Reason {
	out := []Reason{}
	for range v.rng.IntN(4) {
		out = append(out, Reason{Code: v.cycle("reason"), Message: "m", Points: v.number()})
	}
	return out
}

func (v *vocab) transitionInput() TransitionInput {
	in := TransitionInput{Lead: v.lead(), From: v.stage(), To: v.stage(), Trigger: v.oneOf("manual", "auto", "api", "import", "requalify"),
		Actor: Actor{ID: "probe-user", Role: v.oneOf("marketing", "bdr", "ae", "revops", "analyst", "admin", "system")}, Qualification: v.qualification()}
	if v.rng.IntN(2) == 0 {
		in.ReasonCode, in.Reason = v.cycle("reason_code"), v.oneOf("", "asked to stop")
	}
	in.Lead.Stage = in.From
	return in
}

// scheduleInput is a lead at any stage, sometimes moved there by a person, with activities
// and a qualification stamp on either side of the data's windows, and some SLAs escalated.
func (v *vocab) scheduleInput() ScheduleInput {
	in := ScheduleInput{Now: probeNow, Lead: v.lead(), Escalated: []string{}}
	if v.rng.IntN(3) == 0 {
		in.Lead.Manual = &ManualDecision{From: v.stage(), To: in.Lead.Stage, At: v.daysAgo()}
	}
	for range v.rng.IntN(6) {
		in.Activities = append(in.Activities, ActivityFacts{Kind: v.cycle("activity"), OccurredAt: v.daysAgo()})
	}
	if v.rng.IntN(5) != 0 {
		in.QualifiedAt = v.daysAgo()
	}
	if v.rng.IntN(3) == 0 {
		in.Escalated = append(in.Escalated, v.cycle("sla"))
	}
	return in
}

// probeInputs are the generated inputs per decision, converted for evaluation.
func probeInputs(data ast.Value) [numQueries][]irvm.Value {
	v := newVocab(data, 14)
	var out [numQueries][]irvm.Value
	for _, c := range probeLeadInputs() {
		out[qLead] = append(out[qLead], leadInputValue(&c.in))
	}
	for range probeLeads {
		in := v.leadInput()
		out[qLead] = append(out[qLead], leadInputValue(&in))
	}
	for _, c := range probeTransitionInputs() {
		out[qTransition] = append(out[qTransition], transitionInputValue(&c.in))
	}
	for range probeTransitions {
		in := v.transitionInput()
		out[qTransition] = append(out[qTransition], transitionInputValue(&in))
	}
	for range probeRoutings {
		in := RoutingInput{Lead: v.lead(), Account: v.account(), To: v.stage()}
		out[qRouting] = append(out[qRouting], routingInputValue(&in))
	}
	for range probeAuthzs {
		in := AuthzInput{Principal: Principal{ID: "probe-user", Role: v.oneOf("marketing", "bdr", "ae", "revops", "analyst", "admin", "system"), Team: v.oneOf("emea", "na", "")},
			Operation: Operation{Kind: v.oneOf("query", "mutation", "subscription", "admin"), Name: v.cycle("operation")}}
		out[qAuthz] = append(out[qAuthz], authzInputValue(&in))
	}
	for _, c := range probeScheduleInputs() {
		out[qSchedule] = append(out[qSchedule], scheduleInputValue(&c.in))
	}
	for range probeSchedules {
		in := v.scheduleInput()
		out[qSchedule] = append(out[qSchedule], scheduleInputValue(&in))
	}
	return out
}

// startProbe runs the probe in the background, once per revision: when it goes live, or at
// its first decision (a draft verified for a simulation); a draft that is only validated costs
// no probe. It closes rev.run.probed when done; superseding the revision stops it (stopProbe).
func (rev *Revision) startProbe() {
	rev.run.probeOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		rev.run.stopProbe = cancel
		go func() {
			defer close(rev.run.probed)
			defer cancel()
			defer func() {
				if p := recover(); p != nil { // evaluations recover; this guards the probe itself
					rev.run.log.Error("policy plan probe panicked; topdown serves every decision", "revision", rev.id, "panic", p)
				}
			}()
			rev.checkPlans(ctx, probeInputs(rev.run.data))
		}()
	})
}

// checkPlans promotes to the plan evaluator every query whose plan answers the probe inputs as
// topdown does, and leaves the others on topdown with the first difference as the reason. The
// inputs are shared out among the processors; each query stops at its first disagreement.
func (rev *Revision) checkPlans(ctx context.Context, inputs [numQueries][]irvm.Value) {
	now, _ := time.Parse(time.RFC3339, probeNow)
	type job struct {
		q  int
		in irvm.Value
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var failed [numQueries]atomic.Bool
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for j := range jobs {
				if failed[j.q].Load() || rev.run.busy.wait(ctx) != nil {
					continue
				}
				if err := rev.agree(ctx, j.q, j.in, now); err != nil && failed[j.q].CompareAndSwap(false, true) {
					why := fmt.Sprintf("plan disagrees with topdown on a probe input: %v", err)
					rev.run.demoted[j.q].CompareAndSwap(nil, &why)
					rev.run.log.Warn("policy query served by the topdown interpreter", "revision", rev.id, "query", queryNames[j.q], "why", why)
				}
			}
		})
	}
	for q, ins := range inputs {
		if rev.programs[q] == nil {
			continue
		}
		for _, in := range ins {
			if ctx.Err() != nil {
				break
			}
			jobs <- job{q, in}
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return // stopped: nothing was checked to the end
	}
	for q := range failed {
		if rev.programs[q] != nil && !failed[q].Load() {
			rev.run.promoted[q].Store(true)
		}
	}
}

// agree evaluates input on both evaluators of query q and reports a difference. A plan that
// errors is no difference: topdown answers in its place (fastpath.go).
func (rev *Revision) agree(ctx context.Context, q int, input irvm.Value, now time.Time) error {
	got, gerr := rev.evalPlan(ctx, rev.programs[q], q, input, rev.timeout*5, now)
	if gerr != nil && !errors.Is(gerr, ErrUndefined) {
		return nil
	}
	want, werr := rev.evalOn(ctx, rev.queries[q], q, irvm.ToAST(input), rev.timeout*5, now)
	if sameAnswer(want, werr, got, gerr) {
		return nil
	}
	var gv any
	if got != nil {
		gv = irvm.ToAST(got)
	}
	return fmt.Errorf("input %v: topdown %s, plan %s", irvm.ToAST(input), answerText(want, werr), answerText(gv, gerr))
}
