package policy

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// activationMetrics count what became of the bundles the engine was given, and say which
// revision is live.
type activationMetrics struct {
	activations *prometheus.CounterVec
	refusals    *prometheus.CounterVec
	active      *prometheus.GaugeVec
}

// sourceKinds are the sources that exist from the start, at 0, so that rates and alerts see them
// before the first event.
var sourceKinds = []string{"dir", "bundle", "database"}

func newActivationMetrics(reg prometheus.Registerer) *activationMetrics {
	m := &activationMetrics{
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_policy_activations_total",
			Help: "Policy revisions that went live, by source (dir, bundle, database, other).",
		}, []string{"source"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_policy_refusals_total",
			Help: "Policy bundles refused (verification or activation guard failed; the active revision kept serving), by source.",
		}, []string{"source"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "qualify_policy_active_info",
			Help: "The live policy revision: 1 for its revision and content hash, absent before the first activation.",
		}, []string{"revision", "hash"}),
	}
	for _, k := range sourceKinds {
		m.activations.WithLabelValues(k)
		m.refusals.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.activations, m.refusals, m.active)
	}
	return m
}

func (m *activationMetrics) activated(rev *Revision) {
	m.activations.WithLabelValues(sourceKind(rev.source)).Inc()
	// One series at a time: a scrape never shows two live revisions, nor a superseded one.
	m.active.Reset()
	m.active.WithLabelValues(rev.id, rev.hash).Set(1)
}

func (m *activationMetrics) refused(source string) {
	m.refusals.WithLabelValues(sourceKind(source)).Inc()
}

// sourceKind turns a load's source (a directory, a URL, a stored hash) into a label of few values:
// the source's own details would make a series per path or hash.
func sourceKind(source string) string {
	prefix, _, ok := strings.Cut(source, ":")
	switch {
	case !ok:
		return "other"
	case prefix == "http" || prefix == "https":
		return "bundle"
	case prefix == "db" || prefix == "database":
		return "database"
	}
	if len(prefix) > 16 || strings.IndexFunc(prefix, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return "other"
	}
	return prefix
}
