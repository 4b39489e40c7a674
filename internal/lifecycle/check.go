package lifecycle

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
)

// StageOption says whether the caller may move a lead to Stage now, with the policy's reasons.
type StageOption struct {
	Stage   *ent.Stage
	Allowed bool
	Reasons []policy.Reason
}

// AvailableTransitions asks the transition policy, for every stage of the funnel, whether the
// caller may move the lead there now: the same inputs as Transition with a MANUAL trigger and no
// reason given (a stage whose policy wants a reason code says so in its reasons). It writes
// nothing: no move, no decision log entry, no lock.
func (s *Service) AvailableTransitions(ctx context.Context, leadID int) ([]StageOption, error) {
	actor, _ := principal.From(ctx)
	now := s.now()
	f, err := s.funnel(ctx, s.client)
	if err != nil {
		return nil, err
	}
	l, err := loadLead(ctx, s.client, f, leadID, now, false)
	if err != nil {
		return nil, err
	}
	in, qual, err := s.qualification(ctx, l, now)
	if err != nil {
		return nil, err
	}
	out := make([]StageOption, 0, len(f.byID))
	for _, st := range f.ordered() {
		req := TransitionRequest{LeadID: leadID, To: st.Key, Trigger: stagetransition.TriggerMANUAL}
		d, _, err := s.decider.DecideTransition(ctx, transitionInput(l.Lead, in, qual, req, actor))
		if err != nil {
			return nil, err
		}
		if !d.Allow && len(d.Reasons) == 0 { // as denied() words a refusal without reasons
			d.Reasons = []policy.Reason{{Code: "DENIED", Message: "the transition policy refused the move"}}
		}
		out = append(out, StageOption{Stage: st, Allowed: d.Allow, Reasons: d.Reasons})
	}
	return out, nil
}
