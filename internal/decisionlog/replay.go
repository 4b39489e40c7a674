package decisionlog

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/internal/policy"
)

// Decider is a revision as replay uses it; *policy.Revision is one.
type Decider interface {
	DecideLead(ctx context.Context, in policy.LeadInput) (policy.LeadDecision, policy.Meta, error)
	DecideTransition(ctx context.Context, in policy.TransitionInput) (policy.TransitionDecision, policy.Meta, error)
	DecideRouting(ctx context.Context, in policy.RoutingInput) (policy.RoutingDecision, policy.Meta, error)
	DecideAuthz(ctx context.Context, in policy.AuthzInput) (policy.AuthzDecision, policy.Meta, error)
	DecideSchedule(ctx context.Context, in policy.ScheduleInput) (policy.ScheduleDecision, policy.Meta, error)
	ID() string
	Hash() string
}

// Replay is a stored decision re-run on a revision.
type Replay struct {
	Decision     *ent.DecisionLog
	Revision     string
	RevisionHash string
	// Original is the stored result, Replayed the revision's on the same input.
	Original, Replayed map[string]any
	// Same tells whether the two results are equal.
	Same bool
	// ReasonsOnlyOriginal and ReasonsOnlyReplayed are the reasons that differ.
	ReasonsOnlyOriginal, ReasonsOnlyReplayed []qualtype.Reason
}

// Run re-runs d's stored input on rev. The input is decoded into the contract's type of the
// decision's kind and decided as the service decides it, so a replay on d's own revision
// reproduces d exactly.
func Run(ctx context.Context, d *ent.DecisionLog, rev Decider) (*Replay, error) {
	raw, err := json.Marshal(d.Input)
	if err != nil {
		return nil, err
	}
	var result any
	switch d.Kind {
	case Lead:
		result, err = replay(ctx, raw, rev.DecideLead)
	case Transition:
		result, err = replay(ctx, raw, rev.DecideTransition)
	case Routing:
		result, err = replay(ctx, raw, rev.DecideRouting)
	case Authz:
		result, err = replay(ctx, raw, rev.DecideAuthz)
	case Schedule:
		result, err = replay(ctx, raw, rev.DecideSchedule)
	default:
		return nil, fmt.Errorf("decision %s: unknown kind %q", d.DecisionID, d.Kind)
	}
	if err != nil {
		return nil, err
	}
	replayed, err := toMap(result)
	if err != nil {
		return nil, err
	}
	out := &Replay{Decision: d, Revision: rev.ID(), RevisionHash: rev.Hash(), Original: d.Result, Replayed: replayed}
	if out.Original == nil {
		out.Original = map[string]any{}
	}
	out.Same = reflect.DeepEqual(out.Original, out.Replayed)
	a, b := Reasons(out.Original), Reasons(out.Replayed)
	out.ReasonsOnlyOriginal, out.ReasonsOnlyReplayed = minus(a, b), minus(b, a)
	return out, nil
}

func replay[I, O any](ctx context.Context, raw []byte, decide func(context.Context, I) (O, policy.Meta, error)) (O, error) {
	var in I
	if err := json.Unmarshal(raw, &in); err != nil {
		var zero O
		return zero, fmt.Errorf("stored input: %w", err)
	}
	out, _, err := decide(ctx, in)
	return out, err
}

// Reasons reads a result's reasons ([{code, message, points}]); none when it has no such list.
func Reasons(m map[string]any) []qualtype.Reason {
	raw, err := json.Marshal(m["reasons"])
	if err != nil {
		return nil
	}
	rs := []qualtype.Reason{}
	if json.Unmarshal(raw, &rs) != nil || rs == nil {
		return []qualtype.Reason{}
	}
	return rs
}

func minus(a, b []qualtype.Reason) []qualtype.Reason {
	out := []qualtype.Reason{}
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
}
