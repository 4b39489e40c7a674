package policy

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualify/qualify/internal/irvm"
)

// planRun is what a revision learns about its plans while it serves: the decisions moved to
// topdown since activation, and where to log, count and shadow.
type planRun struct {
	promoted       [numQueries]atomic.Bool // the plan passed the probe (probegen.go)
	data           ast.Value               // the data document the probe draws from
	probeOnce      sync.Once
	probed         chan struct{}                      // closed once the probe has run
	stopProbe      context.CancelFunc                 // stops the probe of a superseded revision; set by startProbe
	demoted        [numQueries]atomic.Pointer[string] // why, once the plan disagreed with topdown
	loggedFallback [numQueries]atomic.Bool            // a fallback to topdown was logged
	log            *slog.Logger
	metrics        *planMetrics
	shadow         *shadow
	busy           *busy // the engine's verifications, which the probe yields to
}

// planMetrics count what the plan evaluator left to topdown.
type planMetrics struct {
	fallbacks *prometheus.CounterVec
	shadowed  *prometheus.CounterVec
	demotions *prometheus.CounterVec
}

func newPlanMetrics(reg prometheus.Registerer) *planMetrics {
	m := &planMetrics{
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_policy_plan_fallbacks_total",
			Help: "Decisions the plan evaluator did not answer and topdown did, by query and reason (error, panic, unplanned).",
		}, []string{"query", "reason"}),
		shadowed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_policy_shadow_checks_total",
			Help: "Live plan answers re-evaluated on topdown in the background, by query and result (agree, disagree, dropped when the queue was full, error).",
		}, []string{"query", "result"}),
		demotions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_policy_plan_demotions_total",
			Help: "Decisions of a live revision moved from the plan evaluator to topdown after a disagreement, by query.",
		}, []string{"query"}),
	}
	// Every series exists from the start, at 0, so that rates and alerts see it before the first event.
	for _, q := range queryNames {
		for _, r := range []string{"error", "panic", "unplanned"} {
			m.fallbacks.WithLabelValues(q, r)
		}
		for _, r := range []string{"agree", "disagree", "dropped", "error"} {
			m.shadowed.WithLabelValues(q, r)
		}
		m.demotions.WithLabelValues(q)
	}
	if reg != nil {
		reg.MustRegister(m.fallbacks, m.shadowed, m.demotions)
	}
	return m
}

// shadow re-evaluates a sample of live plan answers on topdown, in one background goroutine
// that runs while there is work: a decision never waits for it, and when the queue is full the
// sample is dropped (and counted).
type shadow struct {
	rate    float64
	queue   chan shadowJob
	running atomic.Bool
	metrics *planMetrics
}

type shadowJob struct {
	rev   *Revision
	q     int
	input irvm.Value
	got   irvm.Value // nil: undefined
	now   time.Time
}

func newShadow(rate float64, size int, m *planMetrics) *shadow {
	return &shadow{rate: rate, queue: make(chan shadowJob, size), metrics: m}
}

// offer samples one answer of the plan for a check on topdown.
func (s *shadow) offer(rev *Revision, q int, input, got irvm.Value, now time.Time) {
	if s == nil || s.rate <= 0 || (s.rate < 1 && rand.Float64() >= s.rate) {
		return
	}
	select {
	case s.queue <- shadowJob{rev, q, input, got, now}:
	default:
		s.metrics.shadowed.WithLabelValues(queryNames[q], "dropped").Inc()
		return
	}
	if s.running.CompareAndSwap(false, true) {
		go s.drain()
	}
}

// drain checks queued answers until the queue is empty, then exits; a job queued as it exits
// starts another drain (running is cleared before the last look).
func (s *shadow) drain() {
	for {
		select {
		case j := <-s.queue:
			s.check(j)
		default:
			s.running.Store(false)
			if len(s.queue) == 0 || !s.running.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

func (s *shadow) check(j shadowJob) {
	defer func() {
		if r := recover(); r != nil { // evalOn recovers; this guards the comparison itself
			s.metrics.shadowed.WithLabelValues(queryNames[j.q], "error").Inc()
		}
	}()
	rev := j.rev
	if rev.plan(j.q) == nil {
		return // demoted meanwhile
	}
	want, werr := rev.evalOn(context.Background(), rev.queries[j.q], j.q, irvm.ToAST(j.input), rev.timeout*5, j.now)
	var gerr error
	if j.got == nil {
		gerr = ErrUndefined
	}
	if sameAnswer(want, werr, j.got, gerr) {
		s.metrics.shadowed.WithLabelValues(queryNames[j.q], "agree").Inc()
		return
	}
	s.metrics.shadowed.WithLabelValues(queryNames[j.q], "disagree").Inc()
	var got any
	if j.got != nil {
		got = irvm.ToAST(j.got)
	}
	rev.demote(j.q, fmt.Sprintf("plan disagreed with topdown on a live decision: topdown %s, plan %s", answerText(want, werr), answerText(got, gerr)))
}

// answerText is one evaluation's outcome, short enough for a status line.
func answerText(v any, err error) string {
	s := fmt.Sprint(v)
	if err != nil {
		s = "error: " + err.Error()
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
