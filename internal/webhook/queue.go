package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/ent/webhookdelivery"
	"github.com/qualify/qualify/internal/jobs"
)

// Queue starts deliveries. Enqueue is called in the transaction that wrote (or reset) them, so
// a delivery starts only if that transaction commits.
// round tells a redelivery's job from the delivery's first one (0), which may still be finishing.
type Queue interface {
	Enqueue(ctx context.Context, round int, ids ...int) error
}

// DeliverArgs is the job of one delivery on the job engine.
type DeliverArgs struct {
	DeliveryID int `json:"delivery_id"`
	// Round is 0, or the number of the redelivery: a redelivery is a job of its own even while
	// the delivery's previous job is still finishing.
	Round int `json:"round,omitempty"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "webhook_delivery" }

// RiverQueue enqueues deliveries as jobs of e, in the caller's transaction. One delivery has at
// most one unfinished job: a redelivery while one waits adds none.
func RiverQueue(e *jobs.Engine, maxAttempts int) Queue { return riverQueue{e: e, max: maxAttempts} }

type riverQueue struct {
	e   *jobs.Engine
	max int
}

func (q riverQueue) Enqueue(ctx context.Context, round int, ids ...int) error {
	opts := &river.InsertOpts{MaxAttempts: q.max, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateRetryable,
	}}}
	for _, id := range ids {
		if _, err := q.e.Insert(ctx, DeliverArgs{DeliveryID: id, Round: round}, opts); err != nil {
			return err
		}
	}
	return nil
}

// Worker works delivery jobs with d: River retries a failed attempt after d's backoff, up to
// d's MaxAttempts.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	d *Dispatcher
}

// NewWorker returns the delivery job worker (register it with jobs.Register).
func NewWorker(d *Dispatcher) *Worker { return &Worker{d: d} }

var errRetry = errors.New("webhook: the receiver failed; retrying")

// Work sends the delivery once. A delivered one is done; one of a disabled endpoint is
// cancelled (re-enabling the endpoint enqueues it again).
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	res, err := w.d.attempt(ctx, job.Args.DeliveryID)
	switch {
	case err != nil:
		return err
	case res == outcomeRetry:
		return errRetry
	case res == outcomeDisabled:
		return river.JobCancel(errors.New("webhook: the endpoint is disabled"))
	}
	return nil
}

// NextRetry is the dispatcher's exponential backoff.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(w.d.backoff(max(job.Attempt, 1)))
}

// Timeout bounds one attempt: the request's timeout and the bookkeeping around it.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.d.cfg.HTTP.Timeout + 30*time.Second
}

// pendingOf lists an endpoint's pending deliveries, to enqueue them again.
func pendingOf(ctx context.Context, e *Endpoints, endpointID int) ([]int, error) {
	return e.client.WebhookDelivery.Query().
		Where(webhookdelivery.EndpointID(endpointID), webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING)).IDs(ctx)
}
