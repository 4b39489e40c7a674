// Package lifecycle qualifies leads and moves them between stages: every change is decided by the
// policy, written with its history in one transaction, and never loses a concurrent update.
package lifecycle

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/keyqueue"
	"github.com/qualify/qualify/internal/policy"
)

// Decider is the policy engine as lifecycle uses it.
type Decider interface {
	DecideLead(ctx context.Context, in policy.LeadInput) (policy.LeadDecision, policy.Meta, error)
	DecideTransition(ctx context.Context, in policy.TransitionInput) (policy.TransitionDecision, policy.Meta, error)
	DecideRouting(ctx context.Context, in policy.RoutingInput) (policy.RoutingDecision, policy.Meta, error)
	DecideSchedule(ctx context.Context, in policy.ScheduleInput) (policy.ScheduleDecision, policy.Meta, error)
}

// Event is a committed stage change, for subscribers.
type Event struct {
	LeadID       int
	TransitionID int
	From, To     string
	Trigger      string
	OwnerID      *int
	At           time.Time
}

// Publisher announces stage changes to subscribers. It is called inside the transaction that
// writes the transition and must deliver the event only if that transaction commits.
type Publisher interface {
	Publish(ctx context.Context, tx *ent.Client, ev Event) error
}

// TransitionHook runs inside the transaction of every transition written (funnel rollups).
type TransitionHook func(ctx context.Context, tx *ent.Client, t *ent.StageTransition) error

// Service is the lead lifecycle.
type Service struct {
	client    *ent.Client
	decider   Decider
	publisher Publisher
	hooks     []TransitionHook
	now       func() time.Time
	log       *slog.Logger
	stats     *decisionlog.Stats // nil: not counted
	// turns queues this process's writers of one lead before they take a pooled connection:
	// on PostgreSQL they would otherwise each hold one while waiting on the lead's row lock,
	// and fifty moves of a hot lead would starve every other request of the pool.
	turns keyqueue.Queue[int]

	stagesMu sync.Mutex
	stages   map[string]*funnel // by the revision hash they were read under (Service.funnel)
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithPublisher sets where committed transitions are announced.
func WithPublisher(p Publisher) Option { return func(s *Service) { s.publisher = p } }

// WithTransitionHook adds a hook run in the transaction of every transition.
func WithTransitionHook(h TransitionHook) Option {
	return func(s *Service) { s.hooks = append(s.hooks, h) }
}

// WithStats counts the decisions per revision (latency, errors) against their bounds.
func WithStats(st *decisionlog.Stats) Option { return func(s *Service) { s.stats = st } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns the lifecycle service.
func New(client *ent.Client, decider Decider, opts ...Option) *Service {
	s := &Service{client: client, decider: decider, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// leadTurn waits, holding no connection, until this process's earlier writers of lead id are
// done, or ctx ends. The caller writes the lead, then calls release.
func (s *Service) leadTurn(ctx context.Context, id int) (release func(), err error) {
	return s.turns.Wait(ctx, id)
}
