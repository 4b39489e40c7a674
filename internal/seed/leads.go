package seed

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// window is how far back lead histories reach from now: about 18 months.
const window = 548 * day

// slot is a planned lead: when it is created and at which account.
type slot struct {
	created time.Time
	acct    int
}

// planLeads spreads n lead creations over the window, growing towards now (the demo company
// grows), mostly on weekdays during the account's working hours, and hands them to accounts
// in proportion to the square root of their size (bigger firms bring more leads, an active
// project more still). The plan is in creation order, so lead ids follow creation time.
func planLeads(r *rng, n int, cs []company, start, now time.Time) []slot {
	tbl := newTable(len(cs), func(i int) float64 {
		w := math.Sqrt(float64(cs[i].employeesOr(20)))
		if cs[i].activeProject() {
			w *= 1.5
		}
		return w
	})
	const growth = 1.0 // the last day sees twice the leads of the first
	span := now.Add(-time.Hour).Sub(start)
	out := make([]slot, n)
	for i := range out {
		acct := tbl.pick(r)
		off := time.Duration(countries[cs[acct].country].offset) * time.Hour
		var t time.Time
		for {
			x := r.Float64()
			u := (math.Sqrt(1+growth*(2+growth)*x) - 1) / growth
			t = start.Add(time.Duration(u * float64(span))).Truncate(time.Second)
			local := t.Add(off)
			if wd := local.Weekday(); (wd == time.Saturday || wd == time.Sunday) && r.chance(0.7) {
				continue
			}
			if r.chance(0.75) {
				t = local.Truncate(day).Add(8*time.Hour + r.within(0, 10*time.Hour)).Add(-off)
			}
			if !t.Before(start) && t.Before(now) {
				break
			}
		}
		out[i] = slot{created: t, acct: acct}
	}
	slices.SortStableFunc(out, func(a, b slot) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return cmp.Compare(a.acct, b.acct)
	})
	for _, s := range out {
		if a := &cs[s.acct]; a.firstLead.IsZero() {
			a.firstLead = s.created
		}
	}
	return out
}

// prospect is a generated lead with its history and activities.
type prospect struct {
	acct, src int
	created   time.Time
	moves     []move
	owner     int
	furthest  int   // furthest funnel stage reached, by the seed's own order
	contacts  []int // indexes into the account's people, the one who came in first

	budget, authority, need, timing string
	budgetAmount, value             float64 // 0: unknown
	timingDate                      time.Time

	acts []act
}

var sourceWeights = func() []weighted[int] {
	out := make([]weighted[int], len(sources))
	for i, s := range sources {
		out[i] = weighted[int]{i, s.weight}
	}
	return out
}()

// newProspect generates the lead of a planned slot.
func newProspect(r *rng, s *staff, cs []company, sl slot, now time.Time) *prospect {
	a := &cs[sl.acct]
	p := &prospect{acct: sl.acct, src: pick(r, sourceWeights), created: sl.created}
	src := &sources[p.src]
	quality := src.quality * (0.7 + 0.6*a.fit())
	if a.activeProject() {
		quality *= 1.25
	}
	p.moves, p.owner = walk(r, s, a, src, sl.created, now, quality)
	for _, m := range p.moves {
		if m.to <= stCustomer {
			p.furthest = max(p.furthest, m.to)
		}
	}
	p.contacts = chooseContacts(r, a, src.key, p.furthest)
	p.bant(r, a)
	p.acts = activities(r, p, a, now)
	return p
}

// chooseContacts links one to three people: inbound leads start with whoever filled in the
// form, outbound ones with someone senior; the further the lead got, the more people are
// involved, and from sql on a known decision maker is among them.
func chooseContacts(r *rng, a *company, src string, furthest int) []int {
	if len(a.people) == 0 {
		return nil
	}
	n := 1
	switch {
	case furthest >= stSQL:
		n = r.between(2, 3)
	case furthest == stSAL:
		n = r.between(1, 2)
	case r.chance(0.15):
		n = 2
	}
	n = min(n, len(a.people))
	outbound := src == "OUTBOUND" || src == "PARTNER" || src == "REFERRAL"
	prefs := make([]weighted[int], len(a.people))
	for i, c := range a.people {
		w := 10
		switch c.role {
		case "DECISION_MAKER", "RECOMMENDER":
			if outbound {
				w = 40
			}
		case "USER", "INFLUENCER", "UNKNOWN":
			if !outbound {
				w = 30
			}
		}
		prefs[i] = weighted[int]{i, w}
	}
	out := []int{pick(r, prefs)}
	for _, i := range r.Perm(len(a.people)) {
		if len(out) >= n {
			break
		}
		if i != out[0] {
			out = append(out, i)
		}
	}
	if furthest >= stSQL && !hasRole(a, out, "DECISION_MAKER") {
		for i, c := range a.people {
			if c.role == "DECISION_MAKER" {
				if len(out) < 3 {
					out = append(out, i)
				} else {
					out[len(out)-1] = i
				}
				break
			}
		}
	}
	return out
}

func hasRole(a *company, idx []int, role string) bool {
	for _, i := range idx {
		if a.people[i].role == role {
			return true
		}
	}
	return false
}

// Chance that each BANT answer is confirmed, by the furthest stage reached: little is known
// of a fresh lead, nearly everything of a customer.
var confirmed = [stCustomer + 1]struct{ budget, authority, need, timing float64 }{
	stLead:     {0.02, 0.03, 0.05, 0.02},
	stMQL:      {0.10, 0.15, 0.35, 0.10},
	stSAL:      {0.30, 0.35, 0.60, 0.30},
	stSQL:      {0.70, 0.75, 1.00, 0.65},
	stOpp:      {0.85, 0.90, 1.00, 0.85},
	stCustomer: {1.00, 1.00, 1.00, 1.00},
}

// bant answers budget, authority, need and timing consistently with how far the lead got and
// why it left: an SQL has a confirmed need, budget or timing, and a known decision maker (or
// confirmed authority); a lead lost for no budget has budget "NO". It also sets the value.
func (p *prospect) bant(r *rng, a *company) {
	c := confirmed[p.furthest]
	answer := func(yes float64) string {
		switch {
		case r.chance(yes):
			return "YES"
		case p.furthest >= stSAL && r.chance(0.08*float64(p.furthest)):
			return "NO"
		}
		return "UNKNOWN"
	}
	p.budget, p.authority, p.need, p.timing = answer(c.budget), answer(c.authority), answer(c.need), answer(c.timing)
	if p.furthest >= stSQL {
		if p.budget != "YES" && p.timing != "YES" {
			if r.chance(0.5) {
				p.budget = "YES"
			} else {
				p.timing = "YES"
			}
		}
		if !hasRole(a, p.contacts, "DECISION_MAKER") {
			p.authority = "YES"
		}
	}
	if last := p.moves[len(p.moves)-1]; last.to == stNurture || last.to == stDisq {
		switch last.reasonCode {
		case "no_budget":
			p.budget = "NO"
		case "no_need":
			p.need = "NO"
		case "no_timing":
			p.timing = "NO"
		}
	}
	emp := float64(a.employeesOr(20))
	value := 8000 * math.Pow(emp/50, 0.55) * r.logNormal(1, 0.5)
	value = math.Round(min(max(value, 2000), 2e6)/500) * 500
	if p.furthest >= stSAL || (p.furthest == stMQL && r.chance(0.6)) || r.chance(0.25) {
		p.value = value
	}
	if p.budget == "YES" {
		p.budgetAmount = math.Round(value*r.logNormal(1.2, 0.3)/1000) * 1000
	}
	if p.timing == "YES" {
		reached := p.created
		for _, m := range p.moves {
			if m.to == p.furthest {
				reached = m.at
			}
		}
		p.timingDate = reached.Add(r.within(14*day, 270*day)).Truncate(day)
	}
}
