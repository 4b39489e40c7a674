package policyadmin

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/domainerr"
)

// Approve records the caller's approval of a draft for four-eyes publishing: the draft must
// verify as a publish would, and the approval names its content hash, so that a publish of any
// other content (an edit after review) finds no approval.
func (s *Service) Approve(ctx context.Context, d PolicyDraftInput, message string) (string, *ent.AuditEvent, error) {
	rev, err := s.verified(ctx, d)
	if err != nil {
		return "", nil, err
	}
	ev, err := audit.Record(ctx, s.cfg.Client, audit.Event{Action: audit.PolicyApprove, Target: rev.Hash(), Message: message})
	if err != nil {
		return "", nil, err
	}
	return rev.Hash(), ev, nil
}

// approval returns the approval that lets the caller publish content hash: one recorded by
// someone else. Without RequireApproval it returns nil and no error.
func (s *Service) approval(ctx context.Context, hash string) (*ent.AuditEvent, error) {
	if !s.cfg.RequireApproval {
		return nil, nil
	}
	a, err := s.cfg.Client.AuditEvent.Query().
		Where(auditevent.ActionEQ(audit.PolicyApprove), auditevent.Target(hash), auditevent.ActorNEQ(audit.Actor(ctx))).
		Order(ent.Desc(auditevent.FieldOccurredAt)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		reason := "no approval of this content; any edit after an approval voids it"
		if mine, _ := s.cfg.Client.AuditEvent.Query().Where(auditevent.ActionEQ(audit.PolicyApprove),
			auditevent.Target(hash)).Exist(ctx); mine {
			reason = "only you approved this content; another revops or admin must"
		}
		return nil, &domainerr.ApprovalRequiredError{Hash: hash, Reason: reason}
	case err != nil:
		return nil, err
	}
	return a, nil
}

// AuditSimulation records that the caller simulated a draft, with what it found.
func (s *Service) AuditSimulation(ctx context.Context, sim *PolicySimulation, where *ent.LeadWhereInput) error {
	details := map[string]any{"activeRevision": sim.ActiveRevision, "leads": sim.Leads, "stageChanged": sim.StageChanged}
	if where != nil {
		m, err := whereMap(where)
		if err != nil {
			return err
		}
		details["where"] = m
	}
	_, err := audit.Record(ctx, s.cfg.Client, audit.Event{Action: audit.PolicySimulate, Target: sim.DraftHash, Details: details})
	return err
}
