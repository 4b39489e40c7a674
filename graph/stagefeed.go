package graph

import (
	"context"
	"slices"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/stagefeed"
)

// stageEvents turns the feed into GraphQL events for one subscriber: filtered by where, and
// loaded with the subscriber's context so a lead the caller may not see is never sent. The
// subscription ends once recheck refuses the caller (deactivated, or moved to another role or
// team). after (a transitionId) resumes the feed after that event.
func stageEvents(ctx context.Context, c *ent.Client, feed *stagefeed.Broker, recheck func(context.Context) error, after *int, where *model.LeadStageChangedFilter) (<-chan *model.LeadStageChangedEvent, error) {
	cursor := 0
	if after != nil {
		cursor = *after
	}
	in, err := feed.Subscribe(ctx, cursor)
	if err != nil {
		return nil, err
	}
	out := make(chan *model.LeadStageChangedEvent)
	go func() {
		defer close(out)
		for ev := range in {
			if recheck != nil && recheck(ctx) != nil {
				return
			}
			if !matches(ev, where) {
				continue
			}
			l, err := c.Lead.Get(ctx, ev.LeadID)
			if err != nil {
				continue // invisible to the caller, or gone
			}
			t, err := c.StageTransition.Get(ctx, ev.TransitionID)
			if err != nil {
				continue
			}
			select {
			case out <- &model.LeadStageChangedEvent{
				LeadID: ev.LeadID, TransitionID: ev.TransitionID, From: ev.From, To: ev.To,
				Trigger: ev.Trigger, At: ev.At, Lead: l, Transition: t,
			}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func matches(ev lifecycle.Event, w *model.LeadStageChangedFilter) bool {
	if w == nil {
		return true
	}
	if len(w.LeadIds) > 0 && !slices.Contains(w.LeadIds, ev.LeadID) {
		return false
	}
	if len(w.ToStages) > 0 && !slices.Contains(w.ToStages, ev.To) {
		return false
	}
	if w.OwnerID != nil && (ev.OwnerID == nil || *ev.OwnerID != *w.OwnerID) {
		return false
	}
	return true
}

func stageTimes(times []lifecycle.StageTime, err error) ([]*model.StageTime, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*model.StageTime, len(times))
	for i, t := range times {
		out[i] = &model.StageTime{Stage: t.Stage, Seconds: int(t.Time.Seconds()), Visits: t.Visits}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
