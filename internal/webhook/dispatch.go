package webhook

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/webhookdelivery"
	"github.com/qualify/qualify/ent/webhookendpoint"
	"github.com/qualify/qualify/internal/safehttp"
)

// Config tunes delivery.
type Config struct {
	// BaseBackoff and MaxBackoff bound the exponential wait between attempts (1 s, 1 h).
	BaseBackoff, MaxBackoff time.Duration
	// MaxAttempts before a delivery is FAILED (default 15); it can still be redelivered.
	MaxAttempts int
	// DisableAfter is how long an endpoint may fail without a success before it is disabled
	// (default 24 h).
	DisableAfter time.Duration
	// Concurrency is how many requests are in flight at once (default 4).
	Concurrency int
	// HTTP bounds outbound requests and says whether private addresses may be reached.
	HTTP safehttp.Config
}

// DefaultMaxAttempts is how often a delivery is tried before it is FAILED.
const DefaultMaxAttempts = 15

func (c *Config) defaults() {
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = 24 * time.Hour
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
}

// Dispatcher delivers the outbox. Any number may run on one database (replicas): a delivery is
// claimed with a conditional update before it is sent.
type Dispatcher struct {
	client *ent.Client
	http   *safehttp.Client
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
}

// NewDispatcher returns a dispatcher over client.
func NewDispatcher(client *ent.Client, cfg Config, log *slog.Logger) *Dispatcher {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{client: client, http: safehttp.New(cfg.HTTP), cfg: cfg, log: log,
		now: func() time.Time { return time.Now().UTC() }}
}

// Config is the dispatcher's configuration with its defaults filled in.
func (d *Dispatcher) Config() Config { return d.cfg }

// Deliver sends one claimed delivery and records the attempt, its outcome and the endpoint's
// health. The error is the database's; the receiver's failures are recorded, not returned.
func (d *Dispatcher) Deliver(ctx context.Context, id int) error {
	_, err := d.attempt(ctx, id)
	return err
}

type outcome int

const (
	outcomeDone     outcome = iota // delivered now or before, or given up
	outcomeRetry                   // failed; try again after the backoff
	outcomeDisabled                // the endpoint is disabled: not sent
)

func (d *Dispatcher) attempt(ctx context.Context, id int) (outcome, error) {
	dl, err := d.client.WebhookDelivery.Query().Where(webhookdelivery.ID(id)).WithEndpoint().Only(ctx)
	if ent.IsNotFound(err) {
		return outcomeDone, nil // its endpoint was deleted
	} else if err != nil {
		return outcomeDone, err
	}
	ep := dl.Edges.Endpoint
	switch {
	case dl.Status != webhookdelivery.StatusPENDING:
		return outcomeDone, nil
	case !ep.Enabled:
		return outcomeDisabled, nil
	}
	start := d.now()
	secrets := []string{ep.Secret}
	if ep.PreviousSecret != nil && ep.PreviousSecretExpiresAt != nil && start.Before(*ep.PreviousSecretExpiresAt) {
		secrets = append(secrets, *ep.PreviousSecret)
	}
	status, sendErr := d.send(ctx, ep.URL, dl, start, secrets)
	elapsed := d.now().Sub(start)
	ok := sendErr == nil && status >= 200 && status < 300
	errText := ""
	switch {
	case sendErr != nil:
		errText = sendErr.Error()
	case !ok:
		errText = fmt.Sprintf("HTTP %d", status)
	}
	var code *int
	if status != 0 {
		code = &status
	}
	if err := d.client.WebhookAttempt.Create().SetDeliveryID(id).SetAt(start).SetNillableStatusCode(code).
		SetDurationMs(int(elapsed.Milliseconds())).SetError(errText).Exec(ctx); err != nil {
		return outcomeDone, err
	}
	upd := d.client.WebhookDelivery.UpdateOneID(id).AddAttempts(1).SetNillableLastStatusCode(code).SetLastError(errText)
	if ok {
		if err := upd.SetStatus(webhookdelivery.StatusDELIVERED).SetDeliveredAt(d.now()).Exec(ctx); err != nil {
			return outcomeDone, err
		}
		return outcomeDone, d.client.WebhookEndpoint.Update().Where(webhookendpoint.ID(ep.ID), webhookendpoint.FailingSinceNotNil()).
			ClearFailingSince().Exec(ctx)
	}
	res := outcomeRetry
	attempts := dl.Attempts + 1
	if attempts >= d.cfg.MaxAttempts {
		upd.SetStatus(webhookdelivery.StatusFAILED)
		res = outcomeDone
	} else {
		upd.SetNextAttemptAt(d.now().Add(d.backoff(attempts)))
	}
	if err := upd.Exec(ctx); err != nil {
		return outcomeDone, err
	}
	return res, d.failing(ctx, ep, start, errText)
}

// failing notes an endpoint's failure and disables it once it has failed for DisableAfter.
func (d *Dispatcher) failing(ctx context.Context, ep *ent.WebhookEndpoint, at time.Time, errText string) error {
	if ep.FailingSince == nil {
		return d.client.WebhookEndpoint.Update().Where(webhookendpoint.ID(ep.ID), webhookendpoint.FailingSinceIsNil()).
			SetFailingSince(at).Exec(ctx)
	}
	if at.Sub(*ep.FailingSince) < d.cfg.DisableAfter {
		return nil
	}
	reason := fmt.Sprintf("disabled after failing since %s (last: %s)", ep.FailingSince.UTC().Format(time.RFC3339), errText)
	n, err := d.client.WebhookEndpoint.Update().Where(webhookendpoint.ID(ep.ID), webhookendpoint.Enabled(true)).
		SetEnabled(false).SetDisabledAt(at).SetDisabledReason(reason).Save(ctx)
	if err == nil && n > 0 {
		d.log.Warn("webhooks: endpoint disabled", "endpoint", ep.ID, "owner", ep.OwnerID, "reason", reason)
	}
	return err
}

func (d *Dispatcher) send(ctx context.Context, url string, dl *ent.WebhookDelivery, at time.Time, secrets []string) (int, error) {
	body := []byte(dl.Payload)
	h, err := Sign(dl.EventID, at, body, secrets...)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h
	req.Header.Set("User-Agent", "Qualify-Webhooks/1")
	resp, err := d.http.Do(ctx, req)
	return resp.StatusCode, err
}

// backoff is the wait after the n-th failed attempt: BaseBackoff·2^(n-1), capped, with ±20 %
// jitter so endpoints recovering together are not hit in one burst.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := d.cfg.BaseBackoff
	for i := 1; i < n && w < d.cfg.MaxBackoff; i++ {
		w *= 2
	}
	w = min(w, d.cfg.MaxBackoff)
	return time.Duration(float64(w) * (0.8 + 0.4*rand.Float64()))
}
