package graph

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/crm"
)

// decisionMakerCoverage answers Account.decisionMakerCoverage from the CRM's reach.
func decisionMakerCoverage(ctx context.Context, s *crm.Service, accountID int) ([]*model.DecisionMakerReach, error) {
	rs, err := s.DecisionMakerReach(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.DecisionMakerReach, len(rs))
	for i, r := range rs {
		m := &model.DecisionMakerReach{Contact: r.Contact, Reached: r.Last != nil, LastActivity: r.Last}
		if r.Last != nil {
			m.LastActivityAt = &r.Last.OccurredAt
			if r.Last.LeadID != nil && (r.Last.ContactID == nil || *r.Last.ContactID != r.Contact.ID) {
				// A lead the caller may not see reads as null; the reach still counts.
				if m.ViaLead, err = r.Last.QueryLead().Only(ctx); err != nil && !ent.IsNotFound(err) {
					return nil, err
				}
			}
		}
		out[i] = m
	}
	return out, nil
}
