package seed

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// company is an account with its contacts and, sometimes, an identified project.
type company struct {
	name, domain      string
	industry, country int // indexes into industries and countries
	employees         int // 0: unknown
	revenue           float64
	revenueKnown      bool
	people            []person
	project           *initiative
	created           time.Time
	firstLead         time.Time // zero when no lead belongs to it
	id                int
}

func (a *company) employeesOr(def int) int {
	if a.employees == 0 {
		return def
	}
	return a.employees
}

func (a *company) region() int { return regionIndex(countries[a.country].region) }

// fit is how well the account matches the shipped policy's ideal customer profile, in [0, 1]:
// industry, size and region points over their maxima.
func (a *company) fit() float64 {
	pts := float64(industries[a.industry].fit)
	switch e := a.employees; {
	case e >= 200 && e < 2000:
		pts += 10
	case e >= 2000 && e < 10000:
		pts += 8
	case e >= 50 && e < 200, e >= 10000:
		pts += 6
	case e >= 10:
		pts += 3
	}
	switch countries[a.country].region {
	case regions[0], regions[1]:
		pts += 5
	case regions[3]:
		pts += 3
	default:
		pts += 2
	}
	return pts / 27
}

// activeProject says whether the account has a project that is not done: a buying signal.
func (a *company) activeProject() bool {
	return a.project != nil && a.project.status != "DONE"
}

// initiative is an identified project at an account.
type initiative struct {
	name, description, status string
	starts, ends              time.Time // zero: unknown
	budget                    float64   // 0: unknown
	keyContacts               []int     // indexes into the company's people
	created                   time.Time
}

// newCompanies draws n accounts with unique domains. Sizes are a mix of two log-normal
// populations (many small and mid-sized firms, a tail of large ones); revenue follows size
// with the industry's revenue per employee.
func newCompanies(r *rng, n int, now time.Time) []company {
	countryW := make([]weighted[int], len(countries))
	for i, c := range countries {
		countryW[i] = weighted[int]{i, c.weight}
	}
	industryW := make([]weighted[int], len(industries))
	for i, ind := range industries {
		industryW[i] = weighted[int]{i, ind.weight}
	}
	domains := make(map[string]bool, n)
	out := make([]company, n)
	for i := range out {
		a := &out[i]
		a.country, a.industry = pick(r, countryW), pick(r, industryW)
		c, ind := &countries[a.country], &industries[a.industry]
		word, noun := one(r, companyWords), one(r, ind.words)
		a.name = word + " " + noun
		if r.chance(0.7) {
			a.name += " " + one(r, c.suffixes)
		}
		a.domain = uniqueDomain(r, domains, word, noun, c)
		if r.chance(0.98) {
			a.employees = employees(r)
			a.revenue = math.Round(float64(a.employees)*ind.revPerEmp*r.logNormal(1, 0.35)/1e4) * 1e4
			a.revenueKnown = r.chance(0.96)
		}
		a.people = newPeople(r, a)
		a.project = newProject(r, a, now)
	}
	return out
}

// employees draws a head count: 85% small and mid-sized, 15% large, rounded as people report it.
func employees(r *rng) int {
	var e float64
	if r.chance(0.85) {
		e = r.logNormal(40, 1.3)
	} else {
		e = r.logNormal(1500, 1.1)
	}
	n := min(max(int(e), 1), 300000)
	switch {
	case n >= 1000:
		n = n / 50 * 50
	case n >= 100:
		n = n / 5 * 5
	}
	return n
}

// uniqueDomain derives a normalized domain from the company's name: lowercase, no www, the
// country's suffix or .com, numbered when taken ("acme-logistics-42.com").
func uniqueDomain(r *rng, taken map[string]bool, word, noun string, c *country) string {
	base := slug(word) + "-" + slug(noun)
	if r.chance(0.4) {
		base = slug(word + noun)
	}
	tld := c.tld
	if r.chance(0.3) {
		tld = "com"
	}
	d := base + "." + tld
	for taken[d] {
		d = fmt.Sprintf("%s-%d.%s", base, r.between(2, 999), tld)
	}
	taken[d] = true
	return d
}

// slug lower-cases s and keeps letters and digits, turning anything else into single hyphens.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

var projectStatuses = []weighted[string]{{"PLANNED", 30}, {"SCHEDULED", 20}, {"IN_PROGRESS", 30}, {"DONE", 20}}

// newProject gives larger accounts a better chance of an identified project, with dates that
// fit its status relative to now and key contacts led by a decision maker when one is known.
func newProject(r *rng, a *company, now time.Time) *initiative {
	p := 0.04
	switch e := a.employees; {
	case e >= 2000:
		p = 0.35
	case e >= 200:
		p = 0.2
	case e >= 50:
		p = 0.1
	}
	if !r.chance(p) || len(a.people) == 0 {
		return nil
	}
	const day = 24 * time.Hour
	ind := &industries[a.industry]
	pr := &initiative{name: one(r, ind.projects), status: pick(r, projectStatuses)}
	switch pr.status {
	case "PLANNED":
		pr.starts = now.Add(r.within(60*day, 270*day))
		if r.chance(0.5) {
			pr.ends = pr.starts.Add(r.within(90*day, 360*day))
		}
	case "SCHEDULED":
		pr.starts = now.Add(r.within(7*day, 120*day))
		pr.ends = pr.starts.Add(r.within(60*day, 300*day))
	case "IN_PROGRESS":
		pr.starts = now.Add(-r.within(14*day, 240*day))
		pr.ends = now.Add(r.within(30*day, 300*day))
	case "DONE":
		pr.ends = now.Add(-r.within(7*day, 300*day))
		pr.starts = pr.ends.Add(-r.within(60*day, 365*day))
	}
	pr.starts, pr.ends = truncDay(pr.starts), truncDay(pr.ends)
	if a.revenueKnown && r.chance(0.8) {
		pr.budget = math.Round(a.revenue*r.logNormal(0.006, 0.6)/1000) * 1000
	}
	pr.description = fmt.Sprintf("%s at %s. %s", pr.name, a.name, one(r, []string{
		"Identified from a tender notice; evaluation of vendors expected before kickoff.",
		"Mentioned by the contact during a call; budget owner is the decision maker.",
		"Published in the company's annual report as a strategic initiative.",
		"Confirmed by the project lead at a trade fair; shortlist being drawn up.",
	}))
	n := min(r.between(1, 3), len(a.people))
	dm := -1
	for i, c := range a.people {
		if c.role == "DECISION_MAKER" {
			dm = i
			break
		}
	}
	if dm >= 0 {
		pr.keyContacts = append(pr.keyContacts, dm)
	}
	for _, i := range r.Perm(len(a.people)) {
		if len(pr.keyContacts) >= n {
			break
		}
		if i != dm {
			pr.keyContacts = append(pr.keyContacts, i)
		}
	}
	return pr
}

func truncDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(24 * time.Hour)
}

// settle dates an account and what hangs off it once its leads are planned: it was created
// shortly before its first lead (or at some point in the window when it has none), its
// contacts with it, its project after it.
func settle(r *rng, a *company, start, now time.Time) {
	const day = 24 * time.Hour
	if a.firstLead.IsZero() {
		a.created = start.Add(r.within(0, now.Sub(start)-day))
	} else {
		a.created = a.firstLead.Add(-r.within(time.Hour, 30*day))
	}
	for i := range a.people {
		a.people[i].created = a.created.Add(r.within(0, 30*time.Minute))
	}
	if p := a.project; p != nil {
		p.created = a.created.Add(r.within(time.Hour, 60*day))
		if !p.starts.IsZero() && p.starts.Before(now) && p.created.After(p.starts) {
			p.created = later(a.created.Add(time.Hour), p.starts.Add(-r.within(time.Hour, 30*day)))
		}
		if p.created.After(now) {
			p.created = now
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
