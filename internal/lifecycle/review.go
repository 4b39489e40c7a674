package lifecycle

import (
	"context"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/policy"
)

// Every write that decides a lead's qualification or stage also asks the schedule policy when the
// lead should next be looked at and stores it as next_review_at, so that the sweep (Review) finds
// due leads through that index alone. That decision changes nothing but the date, so it is not
// logged; the sweep logs the schedule decisions it acts on.

// moved is st after a move into stage `to` at now: a new stay, and no person's decision holds it.
func (st reviewState) moved(to string, now time.Time) reviewState {
	st.in.Lead.Stage, st.in.Lead.StageEnteredAt, st.in.Lead.Manual = to, rfc3339(now), nil
	st.enteredAt, st.newStay, st.escalated = now, true, nil
	return st
}

// reviewState is what the schedule decision sees of a lead after a write: its stage and stay
// there as they will be once the write commits.
type reviewState struct {
	in          policy.LeadInput // the qualification input; Lead.Stage and StageEnteredAt are updated
	qualifiedAt *time.Time
	// enteredAt is the stored start of the stay (full precision: escalations are keyed on it).
	enteredAt time.Time
	// newStay: the write moves the lead, so no SLA of its new stay has been escalated yet.
	newStay bool
	// escalated are the SLA rules escalated in the stay at enteredAt, as loadLead read them.
	escalated []string
}

// scheduleInput builds the schedule decision's input at now.
func scheduleInput(st reviewState, now time.Time, escalated []string) policy.ScheduleInput {
	in := policy.ScheduleInput{
		Now: rfc3339(now), Lead: st.in.Lead, Activities: st.in.Activities, Escalated: escalated,
	}
	if in.Activities == nil {
		in.Activities = []policy.ActivityFacts{}
	}
	if in.Escalated == nil {
		in.Escalated = []string{}
	}
	if st.qualifiedAt != nil {
		in.QualifiedAt = rfc3339(*st.qualifiedAt)
	}
	return in
}

// decideReview makes the schedule decision of a lead in the state st.
func (s *Service) decideReview(ctx context.Context, tx *ent.Client, leadID int, st reviewState, now time.Time) (policy.ScheduleDecision, policy.Meta, policy.ScheduleInput, error) {
	in := scheduleInput(st, now, st.escalated)
	start := time.Now()
	d, meta, err := s.decider.DecideSchedule(ctx, in)
	s.stats.Observe(policy.QuerySchedule, meta, time.Since(start), err)
	return d, meta, in, err
}

// setReview decides the lead's next review in the state st and sets it on m.
func (s *Service) setReview(ctx context.Context, tx *ent.Client, leadID int, st reviewState, now time.Time, m *ent.LeadMutation) error {
	d, _, _, err := s.decideReview(ctx, tx, leadID, st, now)
	if err != nil {
		return err
	}
	setNextReview(m, d)
	return nil
}

// setNextReview stores d's next review on m; none clears it.
func setNextReview(m *ent.LeadMutation, d policy.ScheduleDecision) {
	if t, err := time.Parse(time.RFC3339, d.NextReviewAt); d.NextReviewAt != "" && err == nil {
		m.SetNextReviewAt(t)
		return
	}
	m.ClearNextReviewAt()
}
