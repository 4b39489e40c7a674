// Package sla answers how the revenue team keeps the SLAs of the active policy bundle
// (config.schedule.slas): per rule, the stays that began in a period, met or breached, and how
// long leads took to leave the stage, per owner or team; and it serves the escalations that flag
// a manager, who acknowledges them.
package sla

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/predicate"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/policy"
)

// GroupBy is how a report groups the stays.
type GroupBy string

const (
	GroupOwner GroupBy = "OWNER"
	GroupTeam  GroupBy = "TEAM"
)

// Report is the SLA report of a period.
type Report struct {
	Rules  []policy.SLA `json:"rules"`
	Groups []*Group     `json:"groups"`
}

// Group is one owner, one team, or everything; it lists every rule, zeros where it had no stay.
type Group struct {
	OwnerID   *int    `json:"ownerId"`
	OwnerName *string `json:"ownerName"`
	Team      *string `json:"team"`
	SLAs      []Stats `json:"slas"`
}

// Stats are the stays in a rule's stage that began in the period. Entered = Met + Breached +
// Open: met left before the deadline; breached left at or after it, or is still there past it
// (escalated or not yet); open is still there before it.
type Stats struct {
	Rule     string `json:"rule"`
	Stage    string `json:"stage"`
	Entered  int    `json:"entered"`
	Met      int    `json:"met"`
	Breached int    `json:"breached"`
	Open     int    `json:"open"`
	// The time from entering to leaving the stage, in days, of the stays that left.
	MedianDaysToLeave *float64 `json:"medianDaysToLeave"`
	P90DaysToLeave    *float64 `json:"p90DaysToLeave"`
	left              []float64
}

// Service computes reports and serves escalations.
type Service struct {
	client *ent.Client
	reader *ent.Client // where reports read: an analytics replica (WithReader), else client
	policy *policy.Engine
	now    func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock that says which stays are past due (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithReader sends the report's queries to reader, a client on a read replica of the same
// database with the same row filters installed; escalations stay on the primary.
func WithReader(reader *ent.Client) Option { return func(s *Service) { s.reader = reader } }

// New returns the service on client, with the SLAs of engine's active revision.
func New(client *ent.Client, engine *policy.Engine, opts ...Option) *Service {
	s := &Service{client: client, reader: client, policy: engine, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// stay is one lead's stay in a rule's stage.
type stay struct {
	owner   int // 0: none
	entered time.Time
	left    *time.Time
}

// Report computes the report of the stays that began in [p.From, p.To), seen through ctx's row
// filter (the stage history of the leads the caller may see). The owner of a stay is the lead's
// owner once it entered the stage (recorded on the transition; for history written before that
// was recorded, the lead's current owner); a team is that owner's team.
func (s *Service) Report(ctx context.Context, p funnel.Period, by *GroupBy) (*Report, error) {
	if p.From.IsZero() || p.To.IsZero() || !p.From.Before(p.To) {
		return nil, domainerr.Validation("period", "from must be before to")
	}
	rev := s.policy.Active()
	if rev == nil {
		return nil, policy.ErrNoActivePolicy
	}
	cfg := rev.Schedule()
	cal, err := NewCalendar(cfg)
	if err != nil && len(cfg.SLAs) > 0 {
		return nil, err
	}
	now := s.now()
	rep := &Report{Rules: cfg.SLAs, Groups: []*Group{}}
	if rep.Rules == nil {
		rep.Rules = []policy.SLA{}
	}
	perRule := make([][]stay, len(cfg.SLAs))
	owners := map[int]bool{}
	for i, r := range cfg.SLAs {
		if perRule[i], err = s.stays(ctx, r.Stage, p); err != nil {
			return nil, err
		}
		for _, st := range perRule[i] {
			owners[st.owner] = true
		}
	}
	users, err := s.users(ctx, owners)
	if err != nil {
		return nil, err
	}
	groups := map[string]*Group{}
	groupOf := func(owner int) *Group {
		key, g := "", &Group{}
		switch {
		case by != nil && *by == GroupOwner:
			key = ownerKey(owner)
			if owner != 0 {
				g.OwnerID = &owner
				if u, ok := users[owner]; ok {
					g.OwnerName = &u.Name
				}
			}
		case by != nil && *by == GroupTeam:
			team := ""
			if u, ok := users[owner]; ok {
				team = u.Team
			}
			key, g.Team = team, &team
		}
		if old, ok := groups[key]; ok {
			return old
		}
		for _, r := range cfg.SLAs {
			g.SLAs = append(g.SLAs, Stats{Rule: r.Key, Stage: r.Stage})
		}
		groups[key] = g
		return g
	}
	if by == nil {
		groupOf(0)
	}
	for i, r := range cfg.SLAs {
		for _, st := range perRule[i] {
			count(&groupOf(st.owner).SLAs[i], st, cal, r.BusinessDays, now)
		}
	}
	for _, g := range groups {
		for i := range g.SLAs {
			g.SLAs[i].MedianDaysToLeave = percentile(g.SLAs[i].left, 0.5)
			g.SLAs[i].P90DaysToLeave = percentile(g.SLAs[i].left, 0.9)
		}
		rep.Groups = append(rep.Groups, g)
	}
	slices.SortFunc(rep.Groups, func(a, b *Group) int {
		return cmp.Or(cmp.Compare(deref(a.Team), deref(b.Team)), cmp.Compare(deref(a.OwnerName), deref(b.OwnerName)),
			cmp.Compare(derefInt(a.OwnerID), derefInt(b.OwnerID)))
	})
	return rep, nil
}

// count adds a stay to st: met when it left before its deadline, breached when it left at or
// after it or is still there past it (the schedule escalates a stay once its deadline <= now).
func count(st *Stats, s stay, cal *Calendar, days int, now time.Time) {
	st.Entered++
	due, ok := cal.Deadline(s.entered, days)
	switch {
	case s.left != nil && (!ok || s.left.Before(due)):
		st.Met++
	case s.left != nil || (ok && !now.Before(due)):
		st.Breached++
	default:
		st.Open++
	}
	if s.left != nil {
		st.left = append(st.left, s.left.Sub(s.entered).Hours()/24)
	}
}

// stays reads the stays in stage key that began in p: the entering transitions, and for each the
// next transition of the lead (the one leaving). Two queries whatever the number of stays; the
// transitions' row filter applies to both.
func (s *Service) stays(ctx context.Context, key string, p funnel.Period) ([]stay, error) {
	st, err := s.reader.Stage.Query().Where(stage.Key(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil // a rule on a stage the funnel does not have: no stays
	}
	if err != nil {
		return nil, err
	}
	inPeriod := []predicate.StageTransition{stagetransition.ToStageID(st.ID),
		stagetransition.OccurredAtGTE(p.From), stagetransition.OccurredAtLT(p.To)}
	ins, err := s.reader.StageTransition.Query().Where(inPeriod...).
		WithLead(func(q *ent.LeadQuery) { q.Select(lead.FieldOwnerID) }).
		Order(ent.Asc(stagetransition.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	outs, err := s.reader.StageTransition.Query().
		Where(stagetransition.FromStageID(st.ID), stagetransition.OccurredAtGTE(p.From),
			stagetransition.HasLeadWith(lead.HasTransitionsWith(inPeriod...))).
		Select(stagetransition.FieldLeadID, stagetransition.FieldOccurredAt).
		Order(ent.Asc(stagetransition.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	exits := map[int][]*ent.StageTransition{}
	for _, o := range outs {
		exits[o.LeadID] = append(exits[o.LeadID], o)
	}
	out := make([]stay, 0, len(ins))
	for _, in := range ins {
		s := stay{entered: in.OccurredAt}
		switch {
		case in.OwnerID != nil:
			s.owner = *in.OwnerID
		case in.Edges.Lead != nil && in.Edges.Lead.OwnerID != nil:
			s.owner = *in.Edges.Lead.OwnerID
		}
		// The leaving transition is the lead's first out of the stage after this entry.
		for _, o := range exits[in.LeadID] {
			if o.ID > in.ID {
				at := o.OccurredAt
				s.left = &at
				break
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// users loads the owners of the stays, for their names and teams.
func (s *Service) users(ctx context.Context, ids map[int]bool) (map[int]*ent.User, error) {
	list := make([]int, 0, len(ids))
	for id := range ids {
		if id != 0 {
			list = append(list, id)
		}
	}
	us, err := s.reader.User.Query().Where(user.IDIn(list...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*ent.User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// percentile is percentile_cont over vs: linear interpolation between the closest ranks, as the
// funnel's figures (nil for none).
func percentile(vs []float64, p float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	sorted := slices.Clone(vs)
	sort.Float64s(sorted)
	h := p * float64(len(sorted)-1)
	lo := int(h)
	v := sorted[lo]
	if lo+1 < len(sorted) {
		v += (h - float64(lo)) * (sorted[lo+1] - sorted[lo])
	}
	return &v
}

func ownerKey(id int) string { return "owner:" + strconv.Itoa(id) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
