package jobs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/qualify/qualify/internal/store"
)

// metrics are the engine's Prometheus collectors: outcomes and run time per kind, counted by
// this replica, and the jobs per kind and state in the database, read at scrape time.
type metrics struct {
	db       *store.DB
	finished *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	stored   *prometheus.Desc
}

func newMetrics(db *store.DB) *metrics {
	return &metrics{
		db: db,
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_jobs_finished_total",
			Help: "Job attempts this replica ended, by kind and outcome (completed, failed: will retry or discarded, cancelled, snoozed: interrupted or put off).",
		}, []string{"kind", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qualify_job_run_seconds",
			Help:    "Time of one job attempt on this replica, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"kind"}),
		stored: prometheus.NewDesc("qualify_jobs", "Jobs in the database by kind and state (all replicas).", []string{"kind", "state"}, nil),
	}
}

// Collectors are the engine's metrics, for the server's registry.
func (e *Engine) Collectors() []prometheus.Collector {
	return []prometheus.Collector{e.metrics.finished, e.metrics.seconds, e.metrics}
}

func (m *metrics) ran(kind string, d time.Duration) {
	m.seconds.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *metrics) follow(events <-chan *river.Event) {
	for ev := range events {
		if ev.Job == nil {
			continue
		}
		outcome := map[river.EventKind]string{
			river.EventKindJobCompleted: "completed", river.EventKindJobFailed: "failed",
			river.EventKindJobCancelled: "cancelled", river.EventKindJobSnoozed: "snoozed",
		}[ev.Kind]
		if outcome != "" {
			m.finished.WithLabelValues(ev.Job.Kind, outcome).Inc()
		}
	}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.stored }

// Collect counts the stored jobs by kind and state: one grouped query on River's table, whose
// (state, queue, priority, scheduled_at, id) index keeps it cheap while finished jobs are pruned.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := m.db.Raw.QueryContext(ctx, "SELECT kind, state, COUNT(*) FROM river_job GROUP BY kind, state")
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind, state string
			n           float64
		)
		if rows.Scan(&kind, &state, &n) == nil {
			ch <- prometheus.MustNewConstMetric(m.stored, prometheus.GaugeValue, n, kind, state)
		}
	}
}
