package stagefeed

import (
	"context"
	"time"

	"github.com/qualify/qualify/internal/lifecycle"
)

// Transactions commit in another order than their transition ids were drawn: one that drew a
// smaller id may commit after a larger id was delivered. A catch-up therefore reads back
// replayIDs ids and replayWindow of time before the last delivered event, far more than a
// transaction lasts (the request timeout), and skips what was delivered already.
const (
	replayIDs    = 5000
	replayWindow = time.Minute
	replayPage   = 500
)

// subscription is one subscriber's position in the feed.
type subscription struct {
	live chan lifecycle.Event
	gap  chan struct{} // holds a token while live delivery may have missed events

	lastID int       // the largest transition id delivered (or the cursor it started after)
	lastAt time.Time // when that transition happened
	seen   map[int]time.Time
}

func (s *subscription) signalGap() {
	select {
	case s.gap <- struct{}{}:
	default:
	}
}

// serve delivers live events and, after a gap, the missed ones from the table, each once.
func (b *Broker) serve(ctx context.Context, s *subscription, out chan<- lifecycle.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-s.live:
			if !s.deliver(ctx, ev, out) {
				return
			}
		case <-s.gap:
			if err := b.catchUp(ctx, s, out); err != nil {
				if ctx.Err() != nil {
					return
				}
				b.log.Warn("stage-change subscriber could not catch up; retrying", "err", err)
				time.AfterFunc(time.Second, s.signalGap)
			}
		}
	}
}

// deliver sends ev unless it was sent already.
func (s *subscription) deliver(ctx context.Context, ev lifecycle.Event, out chan<- lifecycle.Event) bool {
	if _, dup := s.seen[ev.TransitionID]; dup {
		return true
	}
	select {
	case out <- ev:
	case <-ctx.Done():
		return false
	}
	s.seen[ev.TransitionID] = ev.At
	if ev.TransitionID > s.lastID {
		s.lastID, s.lastAt = ev.TransitionID, ev.At
	}
	if len(s.seen)%256 == 0 { // now and then, forget what no catch-up reads back any more
		for id, at := range s.seen {
			if at.Before(s.lastAt.Add(-2 * replayWindow)) {
				delete(s.seen, id)
			}
		}
	}
	return true
}

// catchUp delivers the transitions the table has past the subscriber's position (creations
// aside, which are not announced live either), in id order.
func (b *Broker) catchUp(ctx context.Context, s *subscription, out chan<- lifecycle.Event) error {
	from, since := s.lastID-replayIDs, s.lastAt.Add(-replayWindow)
	if len(s.seen) == 0 {
		from = s.lastID // nothing delivered yet: exactly after the cursor
	}
	for {
		rows, err := b.db.QueryContext(ctx, b.sql(`SELECT t.id, t.lead_id, fs.key, ts.key, t.trigger,
  COALESCE(t.assigned_owner_id, l.owner_id), t.occurred_at
FROM stage_transitions t
JOIN stages ts ON ts.id = t.to_stage_id
JOIN stages fs ON fs.id = t.from_stage_id
JOIN leads l ON l.id = t.lead_id
WHERE t.id > ? AND (t.id > ? OR t.occurred_at >= ?)
ORDER BY t.id LIMIT ?`), from, s.lastID, since, replayPage)
		if err != nil {
			return err
		}
		var page []lifecycle.Event
		for rows.Next() {
			var ev lifecycle.Event
			var owner *int64
			if err := rows.Scan(&ev.TransitionID, &ev.LeadID, &ev.From, &ev.To, &ev.Trigger, &owner, &ev.At); err != nil {
				rows.Close()
				return err
			}
			if owner != nil {
				o := int(*owner)
				ev.OwnerID = &o
			}
			page = append(page, ev)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, ev := range page {
			if !s.deliver(ctx, ev, out) {
				return ctx.Err()
			}
			from = ev.TransitionID
		}
		if len(page) < replayPage {
			return nil
		}
	}
}
