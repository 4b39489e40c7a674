package decisionlog

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualify/qualify/internal/policy"
)

// Bounds are what a revision's decisions must stay within once it has made MinDecisions of a
// kind: a mean latency and an error rate (timeouts included). Zero bounds are not checked.
type Bounds struct {
	MaxMeanLatency time.Duration
	MaxErrorRate   float64
	MinDecisions   int
}

// Breach is a revision that crossed its bounds, reported once per revision and decision.
type Breach struct {
	Decision, Revision, RevisionHash string
	Reason                           string
}

// DecisionStats are one revision's decisions of one query.
type DecisionStats struct {
	Decision     string  `json:"decision"`
	Revision     string  `json:"revision"`
	RevisionHash string  `json:"revisionHash"`
	Count        int     `json:"count"`
	Errors       int     `json:"errors"`
	Timeouts     int     `json:"timeouts"`
	MeanMs       float64 `json:"meanMs"`
	MaxMs        float64 `json:"maxMs"`
	// Breach says why the revision crossed its bounds; empty when it did not.
	Breach string `json:"breach"`
}

type statKey struct{ query, hash string }

type stat struct {
	revision               string
	count, errors, timeout int
	total, max             time.Duration
	breach                 string
}

// Stats counts the decisions per revision and query (count, errors, timeouts, latency), checks
// them against Bounds and calls onBreach the first time a revision crosses them. It is a
// prometheus.Collector: qualify_policy_decisions_total, qualify_policy_decision_errors_total and
// qualify_policy_decision_seconds_total by decision and revision hash. Safe for concurrent use.
type Stats struct {
	mu       sync.Mutex
	by       map[statKey]*stat
	bounds   Bounds
	onBreach func(Breach)
}

// NewStats returns Stats checking bounds; onBreach may be nil.
func NewStats(bounds Bounds, onBreach func(Breach)) *Stats {
	if bounds.MinDecisions <= 0 {
		bounds.MinDecisions = 20
	}
	return &Stats{by: map[statKey]*stat{}, bounds: bounds, onBreach: onBreach}
}

// Observe counts one decision of query made by meta's revision.
func (s *Stats) Observe(query string, meta policy.Meta, d time.Duration, err error) {
	if s == nil || meta.Hash == "" {
		return
	}
	s.mu.Lock()
	k := statKey{query, meta.Hash}
	st := s.by[k]
	if st == nil {
		st = &stat{revision: meta.Revision}
		s.by[k] = st
	}
	st.count++
	st.total += d
	st.max = max(st.max, d)
	if err != nil {
		st.errors++
		if ee, ok := err.(interface{ Timeout() bool }); ok && ee.Timeout() {
			st.timeout++
		}
	}
	var breach *Breach
	if st.breach == "" {
		if reason := s.check(st); reason != "" {
			st.breach = reason
			breach = &Breach{Decision: query, Revision: st.revision, RevisionHash: meta.Hash, Reason: reason}
		}
	}
	s.mu.Unlock()
	if breach != nil && s.onBreach != nil {
		s.onBreach(*breach)
	}
}

func (s *Stats) check(st *stat) string {
	b := s.bounds
	if st.count < b.MinDecisions {
		return ""
	}
	var out []string
	if mean := st.total / time.Duration(st.count); b.MaxMeanLatency > 0 && mean > b.MaxMeanLatency {
		out = append(out, fmt.Sprintf("mean latency %s over %s", mean.Round(time.Microsecond), b.MaxMeanLatency))
	}
	if rate := float64(st.errors) / float64(st.count); b.MaxErrorRate > 0 && rate > b.MaxErrorRate {
		out = append(out, fmt.Sprintf("error rate %.3f over %.3f (%d of %d, %d timeouts)", rate, b.MaxErrorRate, st.errors, st.count, st.timeout))
	}
	return strings.Join(out, "; ")
}

// Snapshot returns the stats, by decision then revision hash.
func (s *Stats) Snapshot() []DecisionStats {
	if s == nil {
		return []DecisionStats{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DecisionStats, 0, len(s.by))
	for k, st := range s.by {
		out = append(out, DecisionStats{
			Decision: k.query, Revision: st.revision, RevisionHash: k.hash, Count: st.count, Errors: st.errors, Timeouts: st.timeout,
			MeanMs: ms(st.total) / float64(st.count), MaxMs: ms(st.max), Breach: st.breach,
		})
	}
	slices.SortFunc(out, func(a, b DecisionStats) int {
		return strings.Compare(a.Decision+a.RevisionHash, b.Decision+b.RevisionHash)
	})
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var (
	descCount = prometheus.NewDesc("qualify_policy_decisions_total",
		"Policy decisions made, by decision (query) and revision hash.", []string{"decision", "revision"}, nil)
	descErrors = prometheus.NewDesc("qualify_policy_decision_errors_total",
		"Policy decisions that failed (timeouts included), by decision and revision hash.", []string{"decision", "revision"}, nil)
	descSeconds = prometheus.NewDesc("qualify_policy_decision_seconds_total",
		"Time spent deciding, by decision and revision hash (divide by qualify_policy_decisions_total for the mean).", []string{"decision", "revision"}, nil)
)

// Describe implements prometheus.Collector.
func (s *Stats) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCount
	ch <- descErrors
	ch <- descSeconds
}

// Collect implements prometheus.Collector.
func (s *Stats) Collect(ch chan<- prometheus.Metric) {
	for _, st := range s.Snapshot() {
		ch <- prometheus.MustNewConstMetric(descCount, prometheus.CounterValue, float64(st.Count), st.Decision, st.RevisionHash)
		ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(st.Errors), st.Decision, st.RevisionHash)
		ch <- prometheus.MustNewConstMetric(descSeconds, prometheus.CounterValue, st.MeanMs*float64(st.Count)/1000, st.Decision, st.RevisionHash)
	}
}
