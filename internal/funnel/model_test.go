package funnel_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/funnel"
)

// world is a random history written through the ent client and kept in memory for the brute
// force.
type world struct {
	funnel []*ent.Stage // funnel stages in order
	exits  []*ent.Stage
	stages map[int]*ent.Stage
	leads  []*mlead
	teamOf map[int]string // users' teams
	// first is the stage the attribution at the time (OWNER_AT_REACH) reads: the brute force
	// sets it per question.
	first *ent.Stage
}

type mlead struct {
	id                                    int
	created                               time.Time
	source, team, industry, region, month string
	owner                                 int
	trs                                   []mtr
}

type mtr struct {
	from           int // 0 for the first
	to             int
	at, fromEnterd time.Time
	reason         string
	owner          int // the owner the transition recorded; 0 for none
}

var (
	sources    = []string{"WEB_FORM", "NEWSLETTER", "TRADE_FAIR", "REFERRAL", "PAID_AD", "PARTNER"}
	industries = []string{"software", "retail", "financial_services"} // canonical: the app normalizes stored industries at start
	regions    = []string{"EMEA", "NA", "APAC"}
	teams      = []string{"north", "south"}
	// Reasons as a policy or an import may spell them: beside codes, one with a colon, a digit,
	// spaces and letters of two bytes, one with a backslash and a newline. The exits text
	// escapes the latter and the folded exits count bytes (exitsFolded).
	reasons = []string{"NO_BUDGET", "BAD_FIT", "TIMING", "coût: 2 élevé", `a\b` + "\n:c"}
	base    = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
)

// buildWorld writes n leads with random histories (skips, back-moves, exits and returns). With
// record, each transition's rollup is written in its transaction, as lifecycle does.
func buildWorld(t *testing.T, ctx context.Context, c *ent.Client, svc *funnel.Service, rng *rand.Rand, n int, record bool) *world {
	t.Helper()
	all := c.Stage.Query().Order(ent.Asc(stage.FieldPosition)).AllX(ctx)
	w := &world{stages: map[int]*ent.Stage{}, teamOf: map[int]string{}}
	for _, s := range all {
		w.stages[s.ID] = s
		if s.Kind == stage.KindOPEN || s.Kind == stage.KindWON {
			w.funnel = append(w.funnel, s)
		} else {
			w.exits = append(w.exits, s)
		}
	}
	var users []*ent.User
	for i := range 5 {
		users = append(users, c.User.Create().SetName(fmt.Sprintf("u%d", i)).SetEmail(fmt.Sprintf("u%d@x.test", i)).
			SetRole(user.RoleBDR).SetTeam(teams[i%2]).SaveX(ctx))
		w.teamOf[users[i].ID] = users[i].Team
	}
	var accounts []*ent.Account
	for i := range 6 {
		a := c.Account.Create().SetName(fmt.Sprintf("a%d", i)).SetIndustry(industries[i%3])
		if i < 5 {
			a.SetRegion(account.Region(regions[i%3]))
		}
		accounts = append(accounts, a.SaveX(ctx))
	}
	for range n {
		m := &mlead{created: base.Add(time.Duration(rng.IntN(120*24*3600)) * time.Second), source: sources[rng.IntN(len(sources))]}
		m.month = m.created.Format("2006-01")
		create := c.Lead.Create().SetSource(lead.Source(m.source)).SetCreatedAt(m.created)
		if rng.IntN(6) > 0 {
			u := users[rng.IntN(len(users))]
			m.owner, m.team = u.ID, u.Team
			create.SetOwnerID(u.ID)
		}
		if rng.IntN(5) > 0 {
			a := accounts[rng.IntN(len(accounts))]
			m.industry = a.Industry
			if a.Region != nil {
				m.region = string(*a.Region)
			}
			create.SetAccountID(a.ID)
		}
		// The walk.
		cur, entered, at := w.funnel[0], m.created, m.created
		m.trs = append(m.trs, mtr{to: cur.ID, at: at})
		furthest := cur
		for steps := rng.IntN(7); steps > 0; steps-- {
			at = at.Add(time.Duration(1+rng.IntN(30*24*3600)) * time.Second)
			pos := slices.Index(w.funnel, cur)
			var next *ent.Stage
			var reason string
			switch r := rng.IntN(10); {
			case pos < 0 || r < 5: // forward, maybe skipping; from an exit, back into the funnel
				from := max(pos, 0)
				next = w.funnel[min(len(w.funnel)-1, from+1+rng.IntN(3)*rng.IntN(2))]
			case r < 7 && pos > 0: // back
				next = w.funnel[rng.IntN(pos)]
			default: // exit
				next, reason = w.exits[rng.IntN(len(w.exits))], reasons[rng.IntN(len(reasons))]
			}
			if next == cur {
				continue
			}
			m.trs = append(m.trs, mtr{from: cur.ID, to: next.ID, at: at, fromEnterd: entered, reason: reason})
			cur, entered = next, at
			if slices.Index(w.funnel, cur) > slices.Index(w.funnel, furthest) {
				furthest = cur
			}
		}
		l := create.SetStageID(cur.ID).SetFurthestStageID(furthest.ID).SetStageEnteredAt(entered).SaveX(ctx)
		m.id = l.ID
		// Owners at the time, from a generator of their own so the worlds stay as they were.
		orng := rand.New(rand.NewPCG(uint64(l.ID), 99))
		for i := range m.trs {
			if k := orng.IntN(len(users) + 1); k < len(users) {
				m.trs[i].owner = users[k].ID
			}
		}
		for _, tr := range m.trs {
			tx, err := c.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cr := tx.StageTransition.Create().SetLeadID(l.ID).SetToStageID(tr.to).SetOccurredAt(tr.at).
				SetActorKind(stagetransition.ActorKindSYSTEM).SetTrigger(stagetransition.TriggerIMPORT).SetReasonCode(tr.reason)
			if tr.from != 0 {
				cr.SetFromStageID(tr.from).SetFromEnteredAt(tr.fromEnterd)
			}
			if tr.owner != 0 {
				cr.SetOwnerID(tr.owner)
			}
			row := cr.SaveX(ctx)
			if record {
				if err := svc.Rollups().Record(ctx, tx.Client(), row); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		w.leads = append(w.leads, m)
	}
	return w
}

// reach is when m first reached s: entered it or, for a funnel stage, a later one.
func (w *world) reach(m *mlead, s *ent.Stage) (time.Time, bool) {
	t, _, ok := w.reachBy(m, s)
	return t, ok
}

// reachBy is reach with the owner the transition that first reached s recorded.
func (w *world) reachBy(m *mlead, s *ent.Stage) (time.Time, int, bool) {
	pos := slices.Index(w.funnel, s)
	var best time.Time
	owner := 0
	for _, tr := range m.trs {
		tp := slices.Index(w.funnel, w.stages[tr.to])
		if tr.to == s.ID || (pos >= 0 && tp >= pos) {
			if best.IsZero() || tr.at.Before(best) {
				best, owner = tr.at, tr.owner
			}
		}
	}
	return best, owner, !best.IsZero()
}

// stays are m's closed stays in s, in days: the latest and the sum.
func (w *world) stays(m *mlead, s *ent.Stage) (latest, total float64, ok bool) {
	var last time.Time
	for _, tr := range m.trs {
		if tr.from != s.ID {
			continue
		}
		d := days(tr.at.Sub(tr.fromEnterd))
		total += d
		if tr.at.After(last) {
			last, latest = tr.at, d
		}
		ok = true
	}
	return latest, total, ok
}

func days(d time.Duration) float64 { return d.Seconds() / 86400 }

func (w *world) key(m *mlead, by []funnel.Dimension) funnel.GroupKey {
	var k funnel.GroupKey
	for _, d := range by {
		switch d {
		case funnel.DimSource:
			k.Source = &m.source
		case funnel.DimOwner:
			if m.owner != 0 {
				k.OwnerID = &m.owner
			}
		case funnel.DimTeam:
			k.Team = &m.team
		case funnel.DimIndustry:
			k.Industry = &m.industry
		case funnel.DimRegion:
			k.Region = &m.region
		case funnel.DimCohortMonth:
			k.CohortMonth = &m.month
		case funnel.DimOwnerAtReach, funnel.DimTeamAtReach:
			owner := 0
			if w.first != nil {
				_, owner, _ = w.reachBy(m, w.first)
			}
			if d == funnel.DimTeamAtReach {
				k.TeamAtReach = ptr(w.teamOf[owner])
			} else if owner != 0 {
				k.OwnerAtReachID = &owner
			}
		}
	}
	return k
}

func keyString(k funnel.GroupKey) string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	o := "-"
	if k.OwnerID != nil {
		o = fmt.Sprint(*k.OwnerID)
	}
	oa := "-"
	if k.OwnerAtReachID != nil {
		oa = fmt.Sprint(*k.OwnerAtReachID)
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s", s(k.Source), o, s(k.Team), s(k.Industry), s(k.Region), s(k.CohortMonth), oa, s(k.TeamAtReach))
}

// percentile is percentile_cont: linear interpolation between the closest ranks.
func percentile(vs []float64, p float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	h := p * float64(len(s)-1)
	lo := int(math.Floor(h))
	v := s[lo]
	if lo+1 < len(s) {
		v += (h - float64(lo)) * (s[lo+1] - s[lo])
	}
	return &v
}

func mean(vs []float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	sum /= float64(len(vs))
	return &sum
}

func inPeriod(at time.Time, p funnel.Period) bool { return !at.Before(p.From) && at.Before(p.To) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, cmp.Compare)
	return ks
}
