package webhook

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/webhookattempt"
	"github.com/qualify/qualify/ent/webhookdelivery"
	"github.com/qualify/qualify/ent/webhookendpoint"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/safehttp"
	"github.com/qualify/qualify/internal/txn"
)

// Endpoints manages webhook endpoints and their deliveries.
type Endpoints struct {
	client       *ent.Client
	allowPrivate bool
	queue        Queue
}

// NewEndpoints returns the endpoint service; allowPrivate lets URLs name internal addresses
// (as the dispatcher's safehttp.Config does); q starts redeliveries and, when an endpoint is
// enabled again, its pending deliveries.
func NewEndpoints(client *ent.Client, allowPrivate bool, q Queue) *Endpoints {
	return &Endpoints{client: client, allowPrivate: allowPrivate, queue: q}
}

// Spec is an endpoint's settings; nil fields are left as they are on update.
type Spec struct {
	URL                                     *string
	Description                             *string
	EventTypes, FromStages, ToStages, Teams []string
	SetEventTypes, SetFrom, SetTo, SetTeams bool
	OwnerID                                 *int
	Enabled                                 *bool
}

func (e *Endpoints) check(s Spec) error {
	if s.URL != nil {
		if err := safehttp.CheckURL(*s.URL, e.allowPrivate); err != nil {
			return domainerr.Validation("input.url", err.Error())
		}
	}
	for i, t := range s.EventTypes {
		if !slices.Contains(EventTypes, t) {
			return domainerr.Validation("input.eventTypes."+strconv.Itoa(i), "unknown event type "+strconv.Quote(t)+"; known: lead.created, lead.stage_changed")
		}
	}
	return nil
}

// Create registers an endpoint with a fresh secret, returned once.
func (e *Endpoints) Create(ctx context.Context, s Spec) (*ent.WebhookEndpoint, string, error) {
	if s.URL == nil {
		return nil, "", domainerr.Validation("input.url", "required")
	}
	if err := e.check(s); err != nil {
		return nil, "", err
	}
	owner := s.OwnerID
	if p, _ := principal.From(ctx); owner == nil && p.UserID != 0 {
		owner = &p.UserID
	}
	secret := NewSecret()
	c := e.client.WebhookEndpoint.Create().SetURL(*s.URL).SetNillableDescription(s.Description).
		SetEventTypes(s.EventTypes).SetFromStages(s.FromStages).SetToStages(s.ToStages).SetTeams(s.Teams).
		SetSecret(secret).SetNillableOwnerID(owner)
	ep, err := c.Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, "", domainerr.Validation("input.ownerID", "no such user")
	}
	return ep, secret, err
}

// Update changes an endpoint; enabling it clears its failure state.
func (e *Endpoints) Update(ctx context.Context, id int, s Spec) (*ent.WebhookEndpoint, error) {
	if err := e.check(s); err != nil {
		return nil, err
	}
	u := e.client.WebhookEndpoint.UpdateOneID(id).SetNillableDescription(s.Description).SetNillableOwnerID(s.OwnerID)
	if s.URL != nil {
		u.SetURL(*s.URL)
	}
	if s.SetEventTypes {
		u.SetEventTypes(s.EventTypes)
	}
	if s.SetFrom {
		u.SetFromStages(s.FromStages)
	}
	if s.SetTo {
		u.SetToStages(s.ToStages)
	}
	if s.SetTeams {
		u.SetTeams(s.Teams)
	}
	if s.Enabled != nil {
		u.SetEnabled(*s.Enabled)
		if *s.Enabled {
			u.ClearDisabledAt().SetDisabledReason("").ClearFailingSince()
		} else {
			u.SetDisabledAt(time.Now().UTC()).SetDisabledReason("paused by " + actor(ctx))
		}
	}
	ep, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, domainerr.NotFound("WebhookEndpoint", id)
	}
	if err == nil && s.Enabled != nil && *s.Enabled {
		ids, err := pendingOf(ctx, e, id)
		if err != nil {
			return nil, err
		}
		if err := e.queue.Enqueue(ctx, 0, ids...); err != nil {
			return nil, err
		}
	}
	return ep, err
}

// Delete removes an endpoint with its deliveries and their attempts.
func (e *Endpoints) Delete(ctx context.Context, id int) error {
	return txn.Run(ctx, e.client, func(ctx context.Context, tx *ent.Client) error {
		if _, err := tx.WebhookEndpoint.Get(ctx, id); ent.IsNotFound(err) {
			return domainerr.NotFound("WebhookEndpoint", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.WebhookAttempt.Delete().
			Where(webhookattempt.HasDeliveryWith(webhookdelivery.EndpointID(id))).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.EndpointID(id)).Exec(ctx); err != nil {
			return err
		}
		return tx.WebhookEndpoint.DeleteOneID(id).Exec(ctx)
	})
}

// Rotate gives an endpoint a new secret; the current one stays valid for grace.
func (e *Endpoints) Rotate(ctx context.Context, id int, grace time.Duration) (*ent.WebhookEndpoint, string, error) {
	if grace < 0 {
		return nil, "", domainerr.Validation("graceSeconds", "must not be negative")
	}
	var (
		out    *ent.WebhookEndpoint
		secret = NewSecret()
	)
	err := txn.Run(ctx, e.client, func(ctx context.Context, tx *ent.Client) error {
		cur, err := tx.WebhookEndpoint.Get(ctx, id)
		if ent.IsNotFound(err) {
			return domainerr.NotFound("WebhookEndpoint", id)
		} else if err != nil {
			return err
		}
		out, err = tx.WebhookEndpoint.UpdateOne(cur).SetSecret(secret).SetPreviousSecret(cur.Secret).
			SetPreviousSecretExpiresAt(time.Now().UTC().Add(grace)).Save(ctx)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, err = txn.Detach(out, err)
	return out, secret, err
}

// Redeliver queues a delivery again, keeping its webhook-id.
func (e *Endpoints) Redeliver(ctx context.Context, id int) (*ent.WebhookDelivery, error) {
	cur, err := e.client.WebhookDelivery.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, domainerr.NotFound("WebhookDelivery", id)
	} else if err != nil {
		return nil, err
	}
	d, err := e.client.WebhookDelivery.UpdateOneID(id).SetStatus(webhookdelivery.StatusPENDING).
		SetNextAttemptAt(time.Now().UTC()).Save(ctx)
	if err != nil {
		return nil, err
	}
	// A pending delivery has its job already; a finished one gets a job of a new round, since
	// its last job may not have been marked finished yet.
	round := 0
	if cur.Status != webhookdelivery.StatusPENDING {
		round = cur.Attempts
	}
	return d, e.queue.Enqueue(ctx, round, id)
}

// List returns endpoints, oldest first, optionally only (not) disabled or the caller's own.
func (e *Endpoints) List(ctx context.Context, disabled, mine *bool) ([]*ent.WebhookEndpoint, error) {
	q := e.client.WebhookEndpoint.Query().Order(ent.Asc(webhookendpoint.FieldID))
	if disabled != nil {
		q.Where(webhookendpoint.Enabled(!*disabled))
	}
	if mine != nil && *mine {
		p, _ := principal.From(ctx)
		q.Where(webhookendpoint.OwnerID(p.UserID))
	}
	return q.All(ctx)
}

// Deliveries returns an endpoint's newest deliveries.
func (e *Endpoints) Deliveries(ctx context.Context, endpointID int, status *webhookdelivery.Status, first int) ([]*ent.WebhookDelivery, error) {
	if first <= 0 || first > 500 {
		return nil, domainerr.Validation("first", "must be between 1 and 500")
	}
	q := e.client.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(endpointID)).
		Order(ent.Desc(webhookdelivery.FieldID)).Limit(first)
	if status != nil {
		q.Where(webhookdelivery.StatusEQ(*status))
	}
	return q.All(ctx)
}

func actor(ctx context.Context) string {
	p, _ := principal.From(ctx)
	if p.Subject != "" {
		return p.Subject
	}
	return "user:" + strconv.Itoa(p.UserID)
}
