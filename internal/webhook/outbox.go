// Package webhook sends lead events to registered endpoints, signed per the Standard Webhooks
// specification. Events are written to an outbox (WebhookDelivery rows) in the transaction of
// the change itself, so a committed change is never lost and a rolled-back one never sent; a
// dispatcher then delivers them with retries and exponential backoff, logs every attempt and
// disables an endpoint that keeps failing, telling its owner through the endpoint's state.
package webhook

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/ent/webhookendpoint"
	"github.com/qualify/qualify/internal/txn"
)

// The event types an endpoint can subscribe to.
const (
	EventLeadCreated      = "lead.created"
	EventLeadStageChanged = "lead.stage_changed"
)

// EventTypes are all event types, in their API order.
var EventTypes = []string{EventLeadCreated, EventLeadStageChanged}

// Event is the payload's data: one stage transition of a lead.
type Event struct {
	LeadID       int       `json:"leadId"`
	TransitionID int       `json:"transitionId"`
	From         *string   `json:"from"`
	To           string    `json:"to"`
	Trigger      string    `json:"trigger"`
	OwnerID      *int      `json:"ownerId"`
	Team         string    `json:"team"`
	OccurredAt   time.Time `json:"occurredAt"`
}

// payload is the body sent: the Standard Webhooks envelope.
type payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Event     `json:"data"`
}

// Outbox writes deliveries for transitions; Record is a lifecycle transition hook.
type Outbox struct {
	queue Queue
}

// NewOutbox returns the outbox; q (nil: none, a polling dispatcher finds them) starts the
// deliveries it writes, in the same transaction.
func NewOutbox(q Queue) *Outbox { return &Outbox{queue: q} }

// enabledKey keeps the enabled endpoints of a transaction (txn.Memo): an import's batch writes
// hundreds of transitions.
type enabledKey struct{}

// Record writes one delivery per enabled endpoint whose filters match the transition, inside
// the transition's transaction (lifecycle.TransitionHook).
func (o *Outbox) Record(ctx context.Context, tx *ent.Client, t *ent.StageTransition) error {
	eps, err := txn.Memo(ctx, enabledKey{}, func() ([]*ent.WebhookEndpoint, error) {
		return tx.WebhookEndpoint.Query().Where(webhookendpoint.Enabled(true)).All(ctx)
	})
	if err != nil || len(eps) == 0 {
		return err
	}
	ev, typ, err := event(ctx, tx, t)
	if err != nil {
		return err
	}
	var body []byte
	creates := make([]*ent.WebhookDeliveryCreate, 0, len(eps))
	for _, ep := range eps {
		if !matches(ep, typ, ev) {
			continue
		}
		if body == nil {
			if body, err = json.Marshal(payload{Type: typ, Timestamp: ev.OccurredAt, Data: ev}); err != nil {
				return err
			}
		}
		creates = append(creates, tx.WebhookDelivery.Create().
			SetEndpointID(ep.ID).SetEventID(eventID(t.ID)).SetEventType(typ).
			SetLeadID(t.LeadID).SetTransitionID(t.ID).SetPayload(string(body)).
			SetNextAttemptAt(time.Now().UTC()))
	}
	if len(creates) == 0 {
		return nil
	}
	saved, err := tx.WebhookDelivery.CreateBulk(creates...).Save(ctx)
	if err != nil || o.queue == nil {
		return err
	}
	ids := make([]int, len(saved))
	for i, d := range saved {
		ids[i] = d.ID
	}
	return o.queue.Enqueue(ctx, 0, ids...)
}

// eventID is the webhook-id of a transition's event: the same for every endpoint and attempt,
// so a receiver can drop duplicates.
func eventID(transitionID int) string { return "msg_tr" + strconv.Itoa(transitionID) }

func event(ctx context.Context, tx *ent.Client, t *ent.StageTransition) (Event, string, error) {
	ids := []int{t.ToStageID}
	if t.FromStageID != nil {
		ids = append(ids, *t.FromStageID)
	}
	stages, err := tx.Stage.Query().Where(stage.IDIn(ids...)).Select(stage.FieldID, stage.FieldKey).All(ctx)
	if err != nil {
		return Event{}, "", err
	}
	key := map[int]string{}
	for _, s := range stages {
		key[s.ID] = s.Key
	}
	l, err := tx.Lead.Get(ctx, t.LeadID)
	if err != nil {
		return Event{}, "", err
	}
	owner := l.OwnerID
	if t.AssignedOwnerID != nil {
		owner = t.AssignedOwnerID
	}
	ev := Event{LeadID: t.LeadID, TransitionID: t.ID, To: key[t.ToStageID], Trigger: string(t.Trigger),
		OwnerID: owner, OccurredAt: t.OccurredAt.UTC()}
	if owner != nil {
		u, err := tx.User.Query().Where(user.ID(*owner)).Select(user.FieldTeam).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return Event{}, "", err
		}
		if u != nil {
			ev.Team = u.Team
		}
	}
	typ := EventLeadCreated
	if t.FromStageID != nil {
		from := key[*t.FromStageID]
		ev.From = &from
		typ = EventLeadStageChanged
	}
	return ev, typ, nil
}

// matches applies an endpoint's filters: event types, from and to stages, owner's team. An
// empty filter matches everything; a stage filter "from" does not match a creation.
func matches(ep *ent.WebhookEndpoint, typ string, ev Event) bool {
	if len(ep.EventTypes) > 0 && !slices.Contains(ep.EventTypes, typ) {
		return false
	}
	if len(ep.FromStages) > 0 && (ev.From == nil || !slices.Contains(ep.FromStages, *ev.From)) {
		return false
	}
	if len(ep.ToStages) > 0 && !slices.Contains(ep.ToStages, ev.To) {
		return false
	}
	if len(ep.Teams) > 0 && !slices.Contains(ep.Teams, ev.Team) {
		return false
	}
	return true
}
