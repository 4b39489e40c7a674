package seed

import (
	"fmt"
	"strings"
	"time"

	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/user"
)

// Regions in a fixed order; team names and routing index them.
var regions = [...]account.Region{account.RegionEMEA, account.RegionNA, account.RegionLATAM, account.RegionAPAC}

var regionWeights = [...]int{40, 35, 10, 15}

func regionIndex(r account.Region) int {
	for i, x := range regions {
		if x == r {
			return i
		}
	}
	return 0
}

// member is a user of the revenue team. A member who left is inactive and is only given work
// from before leftAt.
type member struct {
	name, email, team string
	role              user.Role
	joined, left      time.Time // left is zero for active members
	id                int
}

// staff is the revenue team, grouped by the teams leads are routed to.
type staff struct {
	members    []member
	bdr, ae    [len(regions)][]int // indexes into members, by region
	enterprise []int               // enterprise AEs
	marketing  []int
	revops     []int
}

// teamSizes scales the team with the number of leads, within bounds a demo stays readable in.
func teamSizes(leads int) (bdr, ae, marketing, revops, analysts, admins int) {
	clamp := func(v, lo, hi int) int { return min(max(v, lo), hi) }
	return clamp(leads/2500, 8, 120), clamp(leads/4000, 7, 80), clamp(leads/10000, 3, 15),
		clamp(leads/25000, 2, 6), clamp(leads/30000, 2, 5), 2
}

// newStaff draws the revenue team. Team names follow the shipped policy's routing rules.
func newStaff(r *rng, leads int, now, start time.Time) *staff {
	s := &staff{}
	taken := map[string]bool{}
	add := func(role user.Role, team string, pool int, canLeave bool) int {
		first, last := one(r, namePools[pool].first), one(r, namePools[pool].last)
		local := strings.ToLower(first + "." + last)
		email := local + "@qualify.example"
		for n := 2; taken[email]; n++ {
			email = fmt.Sprintf("%s%d@qualify.example", local, n)
		}
		taken[email] = true
		m := member{name: first + " " + last, email: email, team: team, role: role}
		// Most of the team predates the data set; some joined during it, a few left.
		m.joined = start.Add(-r.within(30*24*time.Hour, 3*365*24*time.Hour))
		if canLeave && r.chance(0.2) {
			m.joined = start.Add(r.within(0, now.Sub(start)/2))
		}
		if canLeave && r.chance(0.08) {
			m.left = m.joined.Add(r.within(90*24*time.Hour, 400*24*time.Hour))
			if !m.left.Before(now) {
				m.left = time.Time{}
			}
		}
		s.members = append(s.members, m)
		return len(s.members) - 1
	}
	bdr, ae, marketing, revops, analysts, admins := teamSizes(leads)
	for i, reg := range regions {
		team := strings.ToLower(string(reg)) + "-bdr"
		n := max(1, bdr*regionWeights[i]/100)
		for k := range n {
			s.bdr[i] = append(s.bdr[i], add(user.RoleBDR, team, i, k > 0))
		}
	}
	nEnterprise := max(2, ae/5)
	for k := range nEnterprise {
		s.enterprise = append(s.enterprise, add(user.RoleAE, "enterprise-ae", poolNA-k%2, k > 0))
	}
	for i, reg := range regions {
		team := strings.ToLower(string(reg)) + "-ae"
		n := max(1, (ae-nEnterprise)*regionWeights[i]/100)
		for k := range n {
			s.ae[i] = append(s.ae[i], add(user.RoleAE, team, i, k > 0))
		}
	}
	for k := range marketing {
		s.marketing = append(s.marketing, add(user.RoleMARKETING, "marketing", k%2, k > 0))
	}
	for k := range revops {
		s.revops = append(s.revops, add(user.RoleREVOPS, "revops", k%2, false))
	}
	for k := range analysts {
		add(user.RoleANALYST, "analytics", k%2, false)
	}
	for k := range admins {
		add(user.RoleADMIN, "revops", k%2, false)
	}
	return s
}

// at picks a member of a team who worked there at t; the first member of every team never
// leaves and predates the data set, so there is always one.
func (s *staff) at(r *rng, team []int, t time.Time) int {
	n := 0
	for _, i := range team {
		if s.present(i, t) {
			n++
		}
	}
	k := r.IntN(n)
	for _, i := range team {
		if s.present(i, t) {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return team[0]
}

func (s *staff) present(i int, t time.Time) bool {
	m := &s.members[i]
	return !m.joined.After(t) && (m.left.IsZero() || m.left.After(t))
}

// teamOf returns the routing team member i belongs to.
func (s *staff) teamOf(i int) []int {
	teams := [][]int{s.enterprise, s.marketing, s.revops}
	for r := range regions {
		teams = append(teams, s.bdr[r], s.ae[r])
	}
	for _, team := range teams {
		for _, j := range team {
			if j == i {
				return team
			}
		}
	}
	return s.revops
}

// aeTeam is where an SQL is routed: enterprise accounts to the enterprise team, the rest by region.
func (s *staff) aeTeam(region int, employees int) []int {
	if employees >= 2000 {
		return s.enterprise
	}
	return s.ae[region]
}

// person is a contact at an account.
type person struct {
	first, last, email, phone, title string
	seniority, role                  string // ent contact.Seniority and contact.BuyingRole values
	created                          time.Time
	id                               int
}

// newPeople draws the contacts of an account: more for larger companies, usually one decision
// maker (two in large ones, none known in some), the rest in the other buying roles.
func newPeople(r *rng, a *company) []person {
	emp := a.employeesOr(20)
	var n int
	switch {
	case emp < 10:
		n = r.between(1, 2)
	case emp < 50:
		n = r.between(1, 3)
	case emp < 200:
		n = r.between(2, 5)
	case emp < 2000:
		n = r.between(3, 7)
	default:
		n = r.between(4, 10)
	}
	roles := make([]int, 0, n)
	dms := 0
	if r.chance(0.82) {
		dms = 1
		if emp >= 2000 && r.chance(0.4) {
			dms = 2
		}
	}
	for range min(dms, n) {
		roles = append(roles, 0)
	}
	other := make([]weighted[int], 0, len(buyingRoles)-1)
	for i, br := range buyingRoles[1:] {
		other = append(other, weighted[int]{i + 1, br.weight})
	}
	for len(roles) < n {
		roles = append(roles, pick(r, other))
	}
	r.Shuffle(len(roles), func(i, j int) { roles[i], roles[j] = roles[j], roles[i] })

	c := &countries[a.country]
	pool := namePools[c.names]
	out := make([]person, 0, n)
	for _, ri := range roles {
		br := &buyingRoles[ri]
		p := person{first: one(r, pool.first), last: one(r, pool.last), role: br.key}
		p.seniority = pick(r, br.seniority)
		p.title = title(r, p.seniority, br.key, emp)
		if r.chance(0.95) {
			p.email = uniqueEmail(out, strings.ToLower(p.first), strings.ToLower(p.last), a.domain)
		}
		if r.chance(0.75) {
			p.phone = phone(r, c)
		}
		out = append(out, p)
	}
	return out
}

// uniqueEmail builds first.last@domain, falling back to f.last and numbered forms when a
// colleague already has the address. Domains are unique, so emails are unique overall.
func uniqueEmail(colleagues []person, first, last, domain string) string {
	candidates := []string{first + "." + last, first[:1] + "." + last, first + "." + last + "2", first + "." + last + "3"}
	for n := 4; ; n++ {
		for _, local := range candidates {
			email := local + "@" + domain
			free := true
			for _, c := range colleagues {
				if c.email == email {
					free = false
					break
				}
			}
			if free {
				return email
			}
		}
		candidates = []string{fmt.Sprintf("%s.%s%d", first, last, n)}
	}
}

// phone returns an E.164 number of the country: a known valid number with its last five
// digits varied, which keeps it valid for libphonenumber.
func phone(r *rng, c *country) string {
	base := c.fixed
	if r.chance(0.6) {
		base = c.mobile
	}
	return fmt.Sprintf("+%s%s%05d", c.cc, base[:len(base)-5], r.IntN(100000))
}

// title fits seniority and buying role: decision makers run something, gatekeepers guard it.
func title(r *rng, seniority, role string, employees int) string {
	dept := one(r, departments)
	switch {
	case role == "GATEKEEPER" && seniority == "MANAGER":
		return "Office Manager"
	case role == "GATEKEEPER":
		return one(r, gatekeeperTitles)
	}
	switch seniority {
	case "C_LEVEL":
		if employees < 50 && r.chance(0.5) {
			return one(r, []string{"Owner", "Founder & CEO", "Managing Director"})
		}
		return one(r, cLevelTitles)
	case "VP":
		if r.chance(0.5) {
			return "Head of " + dept
		}
		return "VP " + dept
	case "DIRECTOR":
		if r.chance(0.5) {
			return "Director of " + dept
		}
		return dept + " Director"
	case "MANAGER":
		return dept + " Manager"
	case "INDIVIDUAL":
		return fmt.Sprintf(one(r, individualTitles), dept)
	}
	if r.chance(0.3) {
		return "Employee"
	}
	return ""
}
