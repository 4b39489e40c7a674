package export

import (
	"context"
	"io"
	"strconv"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/authz"
)

// pageSize is how many rows one query reads: memory stays bounded by it, whatever the export's
// length.
const pageSize = 500

// column is one field of the export, named as in the GraphQL schema so a reader can match it
// with the API.
type column[T any] struct {
	name  string
	value func(*T) any
}

// Leads writes the leads that match f, in id order, and returns how many it wrote. The row
// filter of ctx's access scope applies (ent's interceptors, as for every GraphQL query) and the
// fields it redacts are written empty (CSV) or null (NDJSON).
func Leads(ctx context.Context, c *ent.Client, w io.Writer, format Format, f Filter) (int, error) {
	stageID, err := f.stageID(ctx, c)
	if err != nil {
		return 0, err
	}
	keys, err := stageKeys(ctx, c)
	if err != nil {
		return 0, err
	}
	return stream(ctx, w, format, "Lead", leadColumns(keys), func(after int) ([]*ent.Lead, error) {
		q := c.Lead.Query().Where(lead.IDGT(after)).Order(ent.Asc(lead.FieldID)).Limit(pageSize)
		f.leads(q, stageID)
		return q.All(ctx)
	}, func(l *ent.Lead) int { return l.ID })
}

// Transitions writes the stage transitions that match f, in id order, under ctx's access scope
// (a transition is visible with its lead), and returns how many it wrote.
func Transitions(ctx context.Context, c *ent.Client, w io.Writer, format Format, f Filter) (int, error) {
	stageID, err := f.stageID(ctx, c)
	if err != nil {
		return 0, err
	}
	keys, err := stageKeys(ctx, c)
	if err != nil {
		return 0, err
	}
	return stream(ctx, w, format, "StageTransition", transitionColumns(keys), func(after int) ([]*ent.StageTransition, error) {
		q := c.StageTransition.Query().Where(stagetransition.IDGT(after)).
			Order(ent.Asc(stagetransition.FieldID)).Limit(pageSize)
		f.transitions(q, stageID)
		return q.All(ctx)
	}, func(t *ent.StageTransition) int { return t.ID })
}

// stream pages through the rows by id (keyset: each page starts after the last id of the one
// before), writes each page and flushes it when w can be flushed (an HTTP response).
func stream[T any](ctx context.Context, w io.Writer, format Format, object string, cols []column[T],
	page func(after int) ([]*T, error), idOf func(*T) int) (int, error) {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.name
		if authz.Redacted(ctx, object, col.name) {
			cols[i].value = func(*T) any { return nil }
		}
	}
	out := newRowWriter(format, w)
	if err := out.header(names); err != nil {
		return 0, err
	}
	values := make([]any, len(cols))
	n, after := 0, 0
	for {
		rows, err := page(after)
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			for i, col := range cols {
				values[i] = col.value(r)
			}
			if err := out.row(values); err != nil {
				return n, err
			}
			n++
		}
		if err := out.flush(); err != nil {
			return n, err
		}
		if f, ok := w.(interface{ Flush() }); ok {
			f.Flush()
		}
		if len(rows) < pageSize {
			return n, nil
		}
		after = idOf(rows[len(rows)-1])
	}
}

func stageKeys(ctx context.Context, c *ent.Client) (map[int]string, error) {
	stages, err := c.Stage.Query().All(ctx)
	keys := make(map[int]string, len(stages))
	for _, s := range stages {
		keys[s.ID] = s.Key
	}
	return keys, err
}

func leadColumns(stages map[int]string) []column[ent.Lead] {
	return []column[ent.Lead]{
		{"id", func(l *ent.Lead) any { return id(l.ID) }},
		{"createdAt", func(l *ent.Lead) any { return l.CreatedAt }},
		{"updatedAt", func(l *ent.Lead) any { return l.UpdatedAt }},
		{"firstName", func(l *ent.Lead) any { return l.FirstName }},
		{"lastName", func(l *ent.Lead) any { return l.LastName }},
		{"email", func(l *ent.Lead) any { return opt(l.Email) }},
		{"phone", func(l *ent.Lead) any { return opt(l.Phone) }},
		{"companyName", func(l *ent.Lead) any { return l.CompanyName }},
		{"jobTitle", func(l *ent.Lead) any { return l.JobTitle }},
		{"country", func(l *ent.Lead) any { return l.Country }},
		{"source", func(l *ent.Lead) any { return string(l.Source) }},
		{"budget", func(l *ent.Lead) any { return string(l.Budget) }},
		{"budgetAmount", func(l *ent.Lead) any { return opt(l.BudgetAmount) }},
		{"authority", func(l *ent.Lead) any { return string(l.Authority) }},
		{"need", func(l *ent.Lead) any { return string(l.Need) }},
		{"timing", func(l *ent.Lead) any { return string(l.Timing) }},
		{"timingDate", func(l *ent.Lead) any { return opt(l.TimingDate) }},
		{"estimatedValue", func(l *ent.Lead) any { return opt(l.EstimatedValue) }},
		{"accountID", func(l *ent.Lead) any { return optID(l.AccountID) }},
		{"ownerID", func(l *ent.Lead) any { return optID(l.OwnerID) }},
		{"stageID", func(l *ent.Lead) any { return id(l.StageID) }},
		{"stage", func(l *ent.Lead) any { return stages[l.StageID] }},
		{"stageEnteredAt", func(l *ent.Lead) any { return l.StageEnteredAt }},
		{"furthestStage", func(l *ent.Lead) any { return stages[l.FurthestStageID] }},
		{"fitScore", func(l *ent.Lead) any { return l.FitScore }},
		{"engagementScore", func(l *ent.Lead) any { return l.EngagementScore }},
		{"score", func(l *ent.Lead) any { return l.Score }},
		{"grade", func(l *ent.Lead) any { return optEnum(l.Grade) }},
		{"temperature", func(l *ent.Lead) any { return optEnum(l.Temperature) }},
		{"nextReviewAt", func(l *ent.Lead) any { return opt(l.NextReviewAt) }},
		{"version", func(l *ent.Lead) any { return l.Version }},
		{"opportunityName", func(l *ent.Lead) any { return opt(l.OpportunityName) }},
		{"convertedAt", func(l *ent.Lead) any { return opt(l.ConvertedAt) }},
		{"lastActivityAt", func(l *ent.Lead) any { return opt(l.LastActivityAt) }},
	}
}

func transitionColumns(stages map[int]string) []column[ent.StageTransition] {
	return []column[ent.StageTransition]{
		{"id", func(t *ent.StageTransition) any { return id(t.ID) }},
		{"leadID", func(t *ent.StageTransition) any { return id(t.LeadID) }},
		{"fromStage", func(t *ent.StageTransition) any {
			if t.FromStageID == nil {
				return nil
			}
			return stages[*t.FromStageID]
		}},
		{"toStage", func(t *ent.StageTransition) any { return stages[t.ToStageID] }},
		{"occurredAt", func(t *ent.StageTransition) any { return t.OccurredAt }},
		{"fromEnteredAt", func(t *ent.StageTransition) any { return opt(t.FromEnteredAt) }},
		{"actorID", func(t *ent.StageTransition) any { return optID(t.ActorID) }},
		{"actorKind", func(t *ent.StageTransition) any { return string(t.ActorKind) }},
		{"trigger", func(t *ent.StageTransition) any { return string(t.Trigger) }},
		{"reasonCode", func(t *ent.StageTransition) any { return t.ReasonCode }},
		{"reason", func(t *ent.StageTransition) any { return t.Reason }},
		{"policyRevision", func(t *ent.StageTransition) any { return t.PolicyRevision }},
		{"policyHash", func(t *ent.StageTransition) any { return t.PolicyHash }},
		{"decisionID", func(t *ent.StageTransition) any { return t.DecisionID }},
		{"assignedOwnerID", func(t *ent.StageTransition) any { return optID(t.AssignedOwnerID) }},
		{"routingTeam", func(t *ent.StageTransition) any { return t.RoutingTeam }},
		{"routingCode", func(t *ent.StageTransition) any { return t.RoutingCode }},
		{"routingReason", func(t *ent.StageTransition) any { return t.RoutingReason }},
	}
}

// id writes an id as the API does: a decimal string.
func id(v int) any { return strconv.Itoa(v) }

func optID(p *int) any {
	if p == nil {
		return nil
	}
	return id(*p)
}

func opt[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func optEnum[T ~string](p *T) any {
	if p == nil {
		return nil
	}
	return string(*p)
}
