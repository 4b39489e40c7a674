package graph

import (
	"context"

	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/authz"
	"github.com/qualify/qualify/internal/lifecycle"
)

// availableTransitions answers Lead.availableTransitions: the lifecycle's read-only check, with
// every stage refused when the access policy would refuse the caller transitionLead itself.
func availableTransitions(ctx context.Context, d authz.Decider, lc *lifecycle.Service, leadID int) ([]*model.StageAvailability, error) {
	permitted, why, err := authz.Permits(ctx, d, "mutation", "transitionLead")
	if err != nil {
		return nil, err
	}
	opts, err := lc.AvailableTransitions(ctx, leadID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.StageAvailability, len(opts))
	for i, o := range opts {
		a := &model.StageAvailability{Stage: o.Stage, Allowed: o.Allowed && permitted, Reasons: []*qualtype.Reason{}}
		if !permitted {
			msg := "the access policy does not allow this caller transitionLead"
			if why != "" {
				msg += ": " + why
			}
			a.Reasons = append(a.Reasons, &qualtype.Reason{Code: "FORBIDDEN", Message: msg})
		}
		for _, r := range o.Reasons {
			a.Reasons = append(a.Reasons, &qualtype.Reason{Code: r.Code, Message: r.Message, Points: r.Points})
		}
		out[i] = a
	}
	return out, nil
}
