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

// Routing codes recorded on the transition beside the policy's own (ROUTE_RULE, ROUTE_DEFAULT).
const (
	routeFallback = "ROUTE_FALLBACK"  // the chosen team had no active member; a fallback team took it
	routeNoMember = "ROUTE_NO_MEMBER" // no team of the decision had one: the owner stays
)

// route asks the routing policy which team takes a lead reaching a handoff stage and picks that
// team's active user with the fewest open leads (ties: the lowest id, so it is deterministic).
// A team without an active member of the role hands over to the policy's fallback teams, in
// order; the team that took the lead, or why none did, is recorded on the transition.
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
	why := ""
	if len(d.Reasons) > 0 {
		m.routingCode, why = d.Reasons[0].Code, d.Reasons[0].Message
	}
	var empty []string
	for _, team := range append([]string{d.Team}, d.Fallback...) {
		ids, err := teamMembers(ctx, tx, team, d.Role)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			empty = append(empty, team)
			continue
		}
		if m.assignTo, err = leastLoaded(ctx, tx, ids); err != nil {
			return err
		}
		m.routingTeam, m.routingReason = team, why
		if len(empty) > 0 {
			m.routingCode = routeFallback
			m.routingReason = fmt.Sprintf("no active %s in %s; fallback team %s (policy: %s)", roleName(d.Role), strings.Join(empty, ", "), team, why)
		}
		return nil
	}
	m.routingCode = routeNoMember
	m.routingReason = fmt.Sprintf("no active %s in %s: the owner stays (policy: %s)", roleName(d.Role), strings.Join(empty, ", "), why)
	return nil
}

func roleName(role string) string {
	if role == "" {
		return "member"
	}
	return role
}

// teamMembers lists the active users of team with role (any role when empty), by id.
func teamMembers(ctx context.Context, tx *ent.Client, team, role string) ([]int, error) {
	q := tx.User.Query().Where(user.Team(team), user.Active(true))
	if role != "" {
		q = q.Where(user.RoleEQ(user.Role(strings.ToUpper(role))))
	}
	return q.Order(ent.Asc(user.FieldID)).IDs(ctx)
}

// leastLoaded picks among ids the user with the fewest open leads; ties go to the lowest id.
func leastLoaded(ctx context.Context, tx *ent.Client, ids []int) (*int, error) {
	var loads []struct {
		OwnerID int `json:"owner_id"`
		Count   int `json:"count"`
	}
	err := tx.Lead.Query().
		Where(lead.OwnerIDIn(ids...), lead.HasStageWith(stage.KindEQ(stage.KindOPEN))).
		GroupBy(lead.FieldOwnerID).Aggregate(ent.Count()).Scan(ctx, &loads)
	if err != nil {
		return nil, err
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
	return &best, nil
}
