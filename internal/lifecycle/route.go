package lifecycle

import (
	"context"
	"fmt"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/policy"
)

// handoffStages are where a lead changes hands: marketing → BDR at sal, BDR → AE at sql.
var handoffStages = map[string]bool{"sal": true, "sql": true}

// route asks the routing policy which team takes a lead reaching a handoff stage and picks that
// team's active user with the fewest open leads (ties: the lowest id, so it is deterministic).
func (s *Service) route(ctx context.Context, tx *ent.Client, m *plannedMove, in policy.LeadInput) error {
	if !handoffStages[m.to.Key] {
		return nil
	}
	d, err := s.decideRouting(ctx, tx, m.lead.ID, policy.RoutingInput{Lead: in.Lead, Account: in.Account, To: m.to.Key})
	if err != nil {
		return fmt.Errorf("routing policy: %w", err)
	}
	if d.Team == "" {
		return nil
	}
	q := tx.User.Query().Where(user.Team(d.Team), user.Active(true))
	if d.Role != "" {
		q = q.Where(user.RoleEQ(user.Role(strings.ToUpper(d.Role))))
	}
	ids, err := q.Order(ent.Asc(user.FieldID)).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return err // no one in the team: the lead keeps its owner
	}
	var loads []struct {
		OwnerID int `json:"owner_id"`
		Count   int `json:"count"`
	}
	err = tx.Lead.Query().
		Where(lead.OwnerIDIn(ids...), lead.HasStageWith(stage.KindEQ(stage.KindOPEN))).
		GroupBy(lead.FieldOwnerID).Aggregate(ent.Count()).Scan(ctx, &loads)
	if err != nil {
		return err
	}
	load := make(map[int]int, len(loads))
	for _, l := range loads {
		load[l.OwnerID] = l.Count
	}
	best := ids[0]
	for _, id := range ids[1:] {
		if load[id] < load[best] {
			best = id
		}
	}
	m.assignTo = &best
	return nil
}
