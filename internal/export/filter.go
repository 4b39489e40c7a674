// Package export streams leads and stage transitions out as CSV or NDJSON, page by page, with the
// row filter and the field redactions of the caller's access scope (internal/authz).
package export

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/predicate"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/domainerr"
)

// Filter narrows an export. Zero fields filter nothing. For transitions, the times bound
// occurredAt and Stage is the stage entered; Source and OwnerID are the lead's.
type Filter struct {
	CreatedAfter  time.Time // at or after
	CreatedBefore time.Time // before
	Stage         string    // a stage key, e.g. "sal"
	Source        lead.Source
	OwnerID       int
}

// Parameter names, as the HTTP query and the CLI flags spell them.
const (
	ParamCreatedAfter  = "createdAfter"
	ParamCreatedBefore = "createdBefore"
	ParamStage         = "stage"
	ParamSource        = "source"
	ParamOwner         = "owner"
)

// ParseFilter reads a Filter from query parameters. Bad input is a *domainerr.ValidationError
// naming the parameter; an unknown parameter is refused too, so a misspelt filter cannot widen
// an export silently.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	for name, vs := range q {
		switch name {
		case ParamCreatedAfter, ParamCreatedBefore, ParamStage, ParamSource, ParamOwner:
		default:
			return f, domainerr.Validation(name, "unknown parameter; want createdAfter, createdBefore, stage, source or owner")
		}
		if len(vs) > 1 {
			return f, domainerr.Validation(name, "given more than once")
		}
	}
	var err error
	if v := q.Get(ParamCreatedAfter); v != "" {
		if f.CreatedAfter, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return f, domainerr.Validation(ParamCreatedAfter, "want an RFC 3339 time such as 2026-01-31T00:00:00Z")
		}
	}
	if v := q.Get(ParamCreatedBefore); v != "" {
		if f.CreatedBefore, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return f, domainerr.Validation(ParamCreatedBefore, "want an RFC 3339 time such as 2026-01-31T00:00:00Z")
		}
	}
	if !f.CreatedAfter.IsZero() && !f.CreatedBefore.IsZero() && !f.CreatedAfter.Before(f.CreatedBefore) {
		return f, domainerr.Validation(ParamCreatedBefore, "must be later than createdAfter")
	}
	f.Stage = q.Get(ParamStage)
	if v := q.Get(ParamSource); v != "" {
		f.Source = lead.Source(v)
		if lead.SourceValidator(f.Source) != nil {
			return f, domainerr.Validation(ParamSource, fmt.Sprintf("%q is not a lead source such as WEB_FORM or TRADE_FAIR", v))
		}
	}
	if v := q.Get(ParamOwner); v != "" {
		if f.OwnerID, err = strconv.Atoi(v); err != nil || f.OwnerID <= 0 {
			return f, domainerr.Validation(ParamOwner, "want a user id")
		}
	}
	return f, nil
}

// stageID resolves f.Stage to its id (0 when unset). An unknown key is a validation error.
func (f Filter) stageID(ctx context.Context, c *ent.Client) (int, error) {
	if f.Stage == "" {
		return 0, nil
	}
	id, err := c.Stage.Query().Where(stage.Key(f.Stage)).OnlyID(ctx)
	if ent.IsNotFound(err) {
		return 0, domainerr.Validation(ParamStage, fmt.Sprintf("no stage has the key %q", f.Stage))
	}
	return id, err
}

func (f Filter) leads(q *ent.LeadQuery, stageID int) {
	if !f.CreatedAfter.IsZero() {
		q.Where(lead.CreatedAtGTE(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		q.Where(lead.CreatedAtLT(f.CreatedBefore))
	}
	if stageID != 0 {
		q.Where(lead.StageID(stageID))
	}
	if f.Source != "" {
		q.Where(lead.SourceEQ(f.Source))
	}
	if f.OwnerID != 0 {
		q.Where(lead.OwnerID(f.OwnerID))
	}
}

func (f Filter) transitions(q *ent.StageTransitionQuery, stageID int) {
	if !f.CreatedAfter.IsZero() {
		q.Where(stagetransition.OccurredAtGTE(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		q.Where(stagetransition.OccurredAtLT(f.CreatedBefore))
	}
	if stageID != 0 {
		q.Where(stagetransition.ToStageID(stageID))
	}
	if f.Source != "" || f.OwnerID != 0 {
		var ps []predicate.Lead
		if f.Source != "" {
			ps = append(ps, lead.SourceEQ(f.Source))
		}
		if f.OwnerID != 0 {
			ps = append(ps, lead.OwnerID(f.OwnerID))
		}
		q.Where(stagetransition.HasLeadWith(ps...))
	}
}
