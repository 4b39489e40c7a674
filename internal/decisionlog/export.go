package decisionlog

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/qualify/qualify/ent"
	entdl "github.com/qualify/qualify/ent/decisionlog"
)

// BundleName is the name the exported events give the policy bundle.
const BundleName = "qualify"

// Event is a decision in the shape of OPA's decision log
// (https://www.openpolicyagent.org/docs/latest/management-decision-logs/): the bundle's
// revision is the content hash, the identity of a revision; its .manifest label is in labels.
type Event struct {
	DecisionID  string                       `json:"decision_id"`
	Path        string                       `json:"path"`
	Input       map[string]any               `json:"input"`
	Result      map[string]any               `json:"result,omitempty"`
	Error       string                       `json:"error,omitempty"`
	Bundles     map[string]map[string]string `json:"bundles"`
	Labels      map[string]string            `json:"labels"`
	Timestamp   time.Time                    `json:"timestamp"`
	Metrics     map[string]int64             `json:"metrics"`
	RequestedBy string                       `json:"requested_by"`
}

// EventOf converts a stored decision.
func EventOf(d *ent.DecisionLog) Event {
	labels := map[string]string{"revision_label": d.Revision, "kind": string(d.Kind), "caller_role": d.CallerRole}
	if d.Trigger != "" {
		labels["trigger"] = d.Trigger
	}
	return Event{
		DecisionID: d.DecisionID, Path: d.Path, Input: d.Input, Result: d.Result, Error: d.Error,
		Bundles:     map[string]map[string]string{BundleName: {"revision": d.RevisionHash}},
		Labels:      labels,
		Timestamp:   d.DecidedAt.UTC(),
		Metrics:     map[string]int64{"timer_rego_query_eval_ns": d.LatencyNs},
		RequestedBy: d.Caller,
	}
}

// Export writes the decisions made in [from, to) (zero: unbounded) as newline-delimited JSON
// events, oldest first, in pages so that memory stays bounded; ctx's row filter applies. It
// returns how many it wrote.
func Export(ctx context.Context, c *ent.Client, w io.Writer, from, to time.Time) (int, error) {
	enc := json.NewEncoder(w)
	n, after := 0, 0
	for {
		q := c.DecisionLog.Query().Where(entdl.IDGT(after)).Order(ent.Asc(entdl.FieldID)).Limit(500)
		if !from.IsZero() {
			q.Where(entdl.DecidedAtGTE(from))
		}
		if !to.IsZero() {
			q.Where(entdl.DecidedAtLT(to))
		}
		page, err := q.All(ctx)
		if err != nil || len(page) == 0 {
			return n, err
		}
		for _, d := range page {
			if err := enc.Encode(EventOf(d)); err != nil {
				return n, err
			}
			n++
		}
		after = page[len(page)-1].ID
		if f, ok := w.(interface{ Flush() }); ok { // an HTTP response streams page by page
			f.Flush()
		}
	}
}
