package seed

import (
	"fmt"
	"slices"
	"time"
)

// act is an engagement event on a lead.
type act struct {
	kind    string // ent activity.Kind value
	at      time.Time
	contact int // index into the account's people, -1 for an anonymous event
	props   map[string]any
}

// activities tells the lead's story in events: the touch that created it, engagement while it
// is marketing's, the qualifying event just before it is moved on, calls, meetings and demos
// once sales has it. Events only happen after the lead was created and up to now, and the
// sales kinds only for leads that got that far.
func activities(r *rng, p *prospect, a *company, now time.Time) []act {
	g := &story{r: r, p: p, now: now, primary: -1, offset: countries[a.country].offset}
	if len(p.contacts) > 0 {
		g.primary = p.contacts[0]
	}
	g.firstTouch()
	demo := false
	for i, m := range p.moves {
		end, next := now, -1
		if i+1 < len(p.moves) {
			end, next = p.moves[i+1].at, p.moves[i+1].to
		}
		switch next {
		case stMQL:
			kind := pick(r, []weighted[string]{{"FORM_FILL", 40}, {"NEWSLETTER_SIGNUP", 20}, {"APPOINTMENT_REQUEST", 20}, {"CONTENT_DOWNLOAD", 20}})
			g.before(end, m.at, 2*day, kind, g.primary)
		case stSAL:
			if r.chance(0.5) {
				g.before(end, m.at, 3*day, "APPOINTMENT_REQUEST", g.primary)
			}
		}
		switch m.to {
		case stLead:
			for range r.between(0, 2) {
				g.during(m.at, end, 30*day, g.engagement(), -1)
			}
		case stMQL:
			for range r.between(1, 3) {
				g.during(m.at, end, 30*day, g.engagement(), g.maybe())
			}
		case stSAL:
			if r.chance(0.9) {
				g.during(m.at, end, 10*day, "DISCOVERY_CALL", g.primary)
			}
			if r.chance(0.4) {
				g.during(m.at, end, 14*day, "EMAIL_REPLY", g.primary)
			}
		case stSQL:
			for range r.between(1, 2) {
				g.during(m.at, end, 21*day, "MEETING", g.someone())
			}
			if !demo && r.chance(0.6) {
				demo = g.during(m.at, end, 21*day, "DEMO", g.someone())
			}
			if r.chance(0.5) {
				g.during(m.at, end, 21*day, "EMAIL_REPLY", g.someone())
			}
		case stOpp:
			if !demo && r.chance(0.8) {
				demo = g.during(m.at, end, 14*day, "DEMO", g.someone())
			}
			for range r.between(1, 3) {
				g.during(m.at, end, 60*day, "MEETING", g.someone())
			}
			for range r.between(1, 2) {
				g.during(m.at, end, 60*day, "EMAIL_REPLY", g.someone())
			}
		case stCustomer:
			g.during(m.at, end, 14*day, "MEETING", g.someone())
		case stNurture:
			for range r.between(0, 2) {
				g.during(m.at, end, 180*day, g.engagement(), g.maybe())
			}
		case stDisq:
			if r.chance(0.05) {
				g.during(m.at, end, 365*day, "WEB_VISIT", -1)
			}
		}
	}
	slices.SortStableFunc(g.out, func(x, y act) int { return x.at.Compare(y.at) })
	return g.out
}

// story collects a lead's events.
type story struct {
	r       *rng
	p       *prospect
	now     time.Time
	primary int
	offset  int // the account's hours from UTC
	out     []act
}

// add keeps an event that happens after the lead's creation and by now. Calls, meetings and
// demos are held in the account's working hours.
func (g *story) add(kind string, at time.Time, contact int) bool {
	switch kind {
	case "DISCOVERY_CALL", "MEETING", "DEMO":
		at = workTime(g.r, at, g.offset)
	}
	if !at.After(g.p.created) || at.After(g.now) {
		return false
	}
	g.out = append(g.out, act{kind: kind, at: at, contact: contact, props: g.props(kind, at)})
	return true
}

// during places an event in the first span of a stay from lo to hi.
func (g *story) during(lo, hi time.Time, span time.Duration, kind string, contact int) bool {
	hi = earlier(hi, lo.Add(span))
	if hi.Sub(lo) < 2*time.Minute {
		return false
	}
	return g.add(kind, lo.Add(g.r.within(time.Minute, hi.Sub(lo))), contact)
}

// before places an event shortly before t, but after lo.
func (g *story) before(t, lo time.Time, span time.Duration, kind string, contact int) bool {
	gap := min(span, t.Sub(lo))
	if gap < 2*time.Minute {
		return false
	}
	return g.add(kind, t.Add(-g.r.within(time.Minute, gap)), contact)
}

// firstTouch is the event the lead came in with, by source.
func (g *story) firstTouch() {
	r, t := g.r, g.p.created.Add(g.r.within(time.Minute, 30*time.Minute))
	switch sources[g.p.src].key {
	case "WEB_FORM":
		g.add("FORM_FILL", t, g.primary)
	case "NEWSLETTER":
		g.add("NEWSLETTER_SIGNUP", t, g.primary)
	case "TRADE_FAIR":
		g.add("EVENT_VISIT", t, g.primary)
	case "PAID_AD":
		g.add("WEB_VISIT", t, -1)
		g.add("FORM_FILL", t.Add(r.within(time.Minute, 15*time.Minute)), g.primary)
	case "SOCIAL":
		g.add("WEB_VISIT", t, g.maybe())
	case "OUTBOUND":
		if r.chance(0.6) {
			g.add("EMAIL_REPLY", t.Add(r.within(time.Hour, 5*day)), g.primary)
		}
	case "REFERRAL":
		g.add("EMAIL_REPLY", t, g.primary)
	case "PARTNER":
		g.add("APPOINTMENT_REQUEST", t, g.primary)
	}
}

// engagement is a marketing touch.
func (g *story) engagement() string {
	return pick(g.r, []weighted[string]{{"WEB_VISIT", 60}, {"CONTENT_DOWNLOAD", 25}, {"EMAIL_REPLY", 5}, {"EVENT_VISIT", 5}, {"FORM_FILL", 5}})
}

// maybe is the primary contact, or nobody for an event not tied to a person.
func (g *story) maybe() int {
	if g.r.chance(0.5) {
		return -1
	}
	return g.primary
}

// someone is any contact linked to the lead.
func (g *story) someone() int {
	if len(g.p.contacts) == 0 {
		return -1
	}
	return one(g.r, g.p.contacts)
}

// props are the details a tracking tool or a rep records with an event.
func (g *story) props(kind string, at time.Time) map[string]any {
	r := g.r
	switch kind {
	case "WEB_VISIT":
		m := map[string]any{"page": one(r, webPages), "duration_s": r.between(5, 600)}
		switch sources[g.p.src].key {
		case "PAID_AD":
			m["utm_source"], m["utm_campaign"] = one(r, []string{"google", "linkedin"}), one(r, adCampaigns)
		case "SOCIAL":
			m["referrer"] = one(r, socialNets)
		}
		return m
	case "FORM_FILL":
		return map[string]any{"form": one(r, forms)}
	case "CONTENT_DOWNLOAD":
		return map[string]any{"asset": one(r, assets)}
	case "NEWSLETTER_SIGNUP":
		return map[string]any{"list": one(r, newsletters), "double_opt_in": true}
	case "EVENT_VISIT":
		return map[string]any{"event": fmt.Sprintf("%s %d", one(r, tradeFairs), at.Year()), "badge_scanned": r.chance(0.8)}
	case "APPOINTMENT_REQUEST":
		if sources[g.p.src].key == "PARTNER" {
			return map[string]any{"channel": "partner", "partner": one(r, partnerNames)}
		}
		return map[string]any{"channel": one(r, []string{"web", "email", "phone"})}
	case "DISCOVERY_CALL":
		return map[string]any{"duration_min": r.between(15, 45), "outcome": one(r, []string{"qualified", "follow_up", "needs_more_info"})}
	case "MEETING":
		return map[string]any{"duration_min": 30 * r.between(1, 3), "attendees": r.between(2, 6), "onsite": r.chance(0.2)}
	case "DEMO":
		return map[string]any{"duration_min": 15 * r.between(3, 6), "attendees": r.between(2, 8)}
	case "EMAIL_REPLY":
		return map[string]any{"sentiment": pick(r, []weighted[string]{{"positive", 55}, {"neutral", 35}, {"negative", 10}})}
	}
	return nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
