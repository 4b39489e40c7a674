package seed

import (
	"math"
	"time"

	"github.com/qualify/qualify/ent/user"
)

// The stages the seed walks, by key. Their ids, positions and kinds come from the Stage table.
const (
	stLead = iota
	stMQL
	stSAL
	stSQL
	stOpp
	stCustomer
	stNurture
	stDisq
	numStages
)

var stageKeys = [numStages]string{"lead", "mql", "sal", "sql", "opportunity", "customer", "nurture", "disqualified"}

// move is one stage transition of a lead.
type move struct {
	from, to           int // stage constants; from is -1 for the move that creates the lead
	at                 time.Time
	actor              int // index into staff.members, -1 for none
	actorKind, trigger string
	reasonCode, reason string
	assigned           int // member the move assigned the lead to, -1 for none
}

// step models leaving an open funnel stage: the chance to move on, how long that takes
// (log-normal, median in days), and, for those who do not move on, the share disqualified
// rather than parked in nurture.
type step struct {
	p, median, sigma, disq float64
}

// The funnel's base rates. A lead's quality (source, fit, project) scales the chance to move
// on, strongly at the top of the funnel and less further down.
var funnel = [stCustomer]step{
	stLead: {0.38, 6, 1.0, 0.25},
	stMQL:  {0.40, 4, 0.9, 0.30},
	stSAL:  {0.46, 9, 0.8, 0.45},
	stSQL:  {0.45, 14, 0.7, 0.50},
	stOpp:  {0.30, 40, 0.6, 0.70},
}

const (
	pReactivate = 0.07 // nurtured leads that come back
	pBackMove   = 0.03 // sql and opportunity leads that revops moves back once
	pStall      = 0.08 // sal+ leads that nobody moves on or out
	nurtureDays = 90   // the shipped policy's nurture.after_days for lead and mql
	day         = 24 * time.Hour
)

// walker walks one lead through the funnel until it ends, stalls or reaches now.
type walker struct {
	r       *rng
	s       *staff
	a       *company
	src     *source
	now     time.Time
	quality float64

	moves []move
	cur   int
	at    time.Time
	owner int
}

// walk returns the lead's history and its owner at the end of it.
func walk(r *rng, s *staff, a *company, src *source, created, now time.Time, quality float64) ([]move, int) {
	w := &walker{r: r, s: s, a: a, src: src, now: now, quality: quality, owner: -1}
	w.create(created)
	reactivated, movedBack, mult := false, false, 1.0
	for {
		switch w.cur {
		case stCustomer, stDisq:
			return w.moves, w.owner
		case stNurture:
			if reactivated || !r.chance(pReactivate) {
				return w.moves, w.owner
			}
			t := w.at.Add(r.days(75, 0.6, 365))
			if t.After(now) {
				return w.moves, w.owner
			}
			assigned := -1
			if w.owner >= 0 && w.s.members[w.owner].role == user.RoleAE {
				w.owner = s.at(r, s.bdr[a.region()], t) // marketing stages are the BDRs' again
				assigned = w.owner
			}
			w.push(stMQL, t, -1, "POLICY", "REQUALIFY", "re_engaged", "New engagement after nurture", assigned)
			reactivated, mult = true, 0.8
			continue
		}
		k := w.cur
		if (k == stSQL || k == stOpp) && !movedBack && r.chance(pBackMove) {
			if !w.back(k) {
				return w.moves, w.owner
			}
			movedBack, mult = true, mult*0.9
			continue
		}
		p := min(0.95, funnel[k].p*math.Pow(w.quality, 1/float64(k+1))*mult)
		var ok bool
		if r.chance(p) {
			ok = w.advance(k)
		} else {
			ok = w.leave(k)
		}
		if !ok {
			return w.moves, w.owner
		}
	}
}

func (w *walker) push(to int, at time.Time, actor int, kind, trigger, code, text string, assigned int) {
	w.moves = append(w.moves, move{from: w.cur, to: to, at: at, actor: actor, actorKind: kind,
		trigger: trigger, reasonCode: code, reason: text, assigned: assigned})
	w.cur, w.at = to, at
}

// create enters the lead: forms and ads arrive through the API, fairs and directories by
// import, outbound, referrals and partners are typed in by the BDR who then owns them.
func (w *walker) create(at time.Time) {
	w.cur = -1
	region := w.a.region()
	switch w.src.key {
	case "OUTBOUND", "REFERRAL", "PARTNER":
		w.owner = w.s.at(w.r, w.s.bdr[region], at)
		w.push(stLead, at, w.owner, "USER", "MANUAL", "", "", w.owner)
	case "TRADE_FAIR", "DIRECTORY":
		if w.src.key == "TRADE_FAIR" && w.r.chance(0.5) {
			w.owner = w.s.at(w.r, w.s.bdr[region], at)
		}
		w.push(stLead, at, -1, "IMPORT", "IMPORT", "", "", w.owner)
	default:
		w.push(stLead, at, -1, "SYSTEM", "API", "", "", -1)
	}
}

// advance moves the lead on, sometimes skipping a stage. It is false when the move would
// happen after now: the lead is still in its stage.
func (w *walker) advance(k int) bool {
	r, s, region := w.r, w.s, w.a.region()
	to := k + 1
	switch {
	case k == stLead && r.chance(w.src.skipSAL):
		to = stSAL
	case k == stMQL && r.chance(0.06):
		to = stSQL
	}
	t := w.at.Add(r.days(funnel[k].median, funnel[k].sigma, 365))
	if to != stMQL {
		t = w.workTime(t)
	}
	if t.After(w.now) {
		return false
	}
	switch to {
	case stMQL:
		if r.chance(0.85) {
			w.push(to, t, -1, "POLICY", "AUTO", "", "", -1)
		} else {
			w.push(to, t, s.at(r, s.marketing, t), "USER", "MANUAL", "", "", -1)
		}
	case stSAL:
		assigned := w.ensureOwner(s.bdr[region], t)
		if k == stMQL && r.chance(0.25) {
			w.push(to, t, -1, "POLICY", "AUTO", "", "", assigned)
		} else {
			w.push(to, t, w.owner, "USER", "MANUAL", "", "", assigned)
		}
	case stSQL:
		w.ensureOwner(s.bdr[region], t)
		bdr := w.owner
		ae := s.at(r, s.aeTeam(region, w.a.employees), t)
		w.owner = ae
		w.push(to, t, bdr, "USER", "MANUAL", "", "", ae)
	case stOpp:
		assigned := w.ensureOwner(s.aeTeam(region, w.a.employees), t)
		w.push(to, t, w.owner, "USER", "MANUAL", "", "", assigned)
	case stCustomer:
		assigned := w.ensureOwner(s.aeTeam(region, w.a.employees), t)
		if r.chance(0.2) {
			w.push(to, t, -1, "SYSTEM", "API", "", "", assigned)
		} else {
			w.push(to, t, w.owner, "USER", "MANUAL", "", "", assigned)
		}
	}
	return true
}

// leave takes the lead out of the funnel: disqualified with a reason code, or parked in
// nurture, by the policy after 90 quiet days in lead or mql, by hand further down. Some later
// leads simply stall. It is false when the lead stays where it is.
func (w *walker) leave(k int) bool {
	r, s, region := w.r, w.s, w.a.region()
	if k >= stSAL && r.chance(pStall) {
		return false
	}
	if r.chance(funnel[k].disq) {
		t := w.workTime(w.at.Add(r.days(funnel[k].median*1.5, 0.8, 365)))
		if t.After(w.now) {
			return false
		}
		reasons := disqualifyEarly
		if k >= stSQL {
			reasons = disqualifyLate
		}
		code, text := reasonOf(r, reasons)
		actor, assigned := w.owner, -1
		switch {
		case actor < 0 && r.chance(0.4):
			actor = s.at(r, s.marketing, t)
		case actor < 0:
			actor = s.at(r, s.bdr[region], t)
		case !s.present(actor, t):
			assigned = w.reassign(t)
			actor = w.owner
		}
		w.push(stDisq, t, actor, "USER", "MANUAL", code, text, assigned)
		return true
	}
	if k <= stMQL {
		t := w.at.Add(nurtureDays*day + r.within(0, 2*day))
		if t.After(w.now) {
			return false
		}
		w.push(stNurture, t, -1, "POLICY", "AUTO", "cold", "No engagement for 90 days", -1)
		return true
	}
	t := w.workTime(w.at.Add(r.days(21, 0.7, 200)))
	if t.After(w.now) {
		return false
	}
	assigned := -1
	if w.owner < 0 || !s.present(w.owner, t) {
		assigned = w.reassign(t)
	}
	code, text := reasonOf(r, nurtureManual)
	w.push(stNurture, t, w.owner, "USER", "MANUAL", code, text, assigned)
	return true
}

// back is a correction by revenue ops: sql back to sal (the BDR owns it again) or
// opportunity back to sql.
func (w *walker) back(k int) bool {
	r, s := w.r, w.s
	t := w.workTime(w.at.Add(r.days(6, 0.7, 60)))
	if t.After(w.now) {
		return false
	}
	code, text := reasonOf(r, backMoves)
	assigned := -1
	if k == stSQL {
		w.owner = s.at(r, s.bdr[w.a.region()], t)
		assigned = w.owner
	} else {
		assigned = w.ensureOwner(s.aeTeam(w.a.region(), w.a.employees), t)
	}
	w.push(k-1, t, s.at(r, s.revops, t), "USER", "MANUAL", code, text, assigned)
	return true
}

// ensureOwner keeps the owner when it belongs to team and still works there at t; otherwise
// it assigns a team member and returns them (or -1 when nothing changed).
func (w *walker) ensureOwner(team []int, t time.Time) int {
	for _, i := range team {
		if i == w.owner && w.s.present(i, t) {
			return -1
		}
	}
	w.owner = w.s.at(w.r, team, t)
	return w.owner
}

// reassign hands the lead of a member who left to a colleague in the same team (an unowned
// lead goes to the region's BDRs).
func (w *walker) reassign(t time.Time) int {
	team := w.s.bdr[w.a.region()]
	if w.owner >= 0 {
		team = w.s.teamOf(w.owner)
	}
	w.owner = w.s.at(w.r, team, t)
	return w.owner
}

// workTime moves t forward into the next working hours of the account's country: people move
// leads by hand during their day.
func (w *walker) workTime(t time.Time) time.Time {
	return workTime(w.r, t, countries[w.a.country].offset)
}

// workTime moves t forward into the next working hours (Monday to Friday, 8 to 18) of a place
// offset hours from UTC; a t within them stays.
func workTime(r *rng, t time.Time, offset int) time.Time {
	off := time.Duration(offset) * time.Hour
	local := t.Add(off)
	if wd := local.Weekday(); wd != time.Saturday && wd != time.Sunday && local.Hour() >= 8 && local.Hour() < 18 {
		return t
	}
	d := local.Truncate(day)
	if local.Hour() >= 8 {
		d = d.Add(day)
	}
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.Add(day)
	}
	return d.Add(8*time.Hour + r.within(0, 10*time.Hour)).Add(-off)
}
