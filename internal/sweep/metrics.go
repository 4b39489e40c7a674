package sweep

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sweep's Prometheus collectors. A nil *Metrics counts nothing.
type Metrics struct {
	reviews    *prometheus.CounterVec
	escalation prometheus.Counter
	batches    prometheus.Counter
	runs       *prometheus.CounterVec
	seconds    prometheus.Histogram
}

// NewMetrics makes the collectors; register them with Collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_schedule_reviews_total",
			Help: "Due leads the sweep reviewed, by outcome (unchanged, rescored, moved, refused, not_due: done meanwhile, failed).",
		}, []string{"outcome"}),
		escalation: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qualify_schedule_escalations_total",
			Help: "SLA breaches the sweep escalated.",
		}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qualify_schedule_sweep_batches_total",
			Help: "Batches of due leads the sweep read.",
		}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_schedule_sweeps_total",
			Help: "Sweep runs, by whether they left due leads for the next run (more: true/false).",
		}, []string{"more"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "qualify_schedule_sweep_seconds",
			Help:    "Duration of a sweep run.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}),
	}
}

// Collectors are the metrics, for the server's registry.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.reviews, m.escalation, m.batches, m.runs, m.seconds}
}

func (m *Metrics) reviewed(outcome string) {
	if m != nil {
		m.reviews.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) escalated(n int) {
	if m != nil && n > 0 {
		m.escalation.Add(float64(n))
	}
}

func (m *Metrics) observeRun(st Stats, d time.Duration) {
	if m == nil {
		return
	}
	m.batches.Add(float64(st.Batches))
	more := "false"
	if st.More {
		more = "true"
	}
	m.runs.WithLabelValues(more).Inc()
	m.seconds.Observe(d.Seconds())
}
