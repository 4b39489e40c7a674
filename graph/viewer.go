package graph

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/authz"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

// viewer describes the caller of ctx: its principal and what the access policy lets it see.
func viewer(ctx context.Context, client *ent.Client) (*model.Viewer, error) {
	p, ok := principal.From(ctx)
	if !ok {
		return nil, &domainerr.UnauthenticatedError{Reason: "no credentials"}
	}
	v := &model.Viewer{Role: p.Role, Team: p.Team, Via: p.Via, RowFilter: authz.RowsAll, Redacted: []string{}}
	if s, ok := authz.ScopeFrom(ctx); ok {
		v.RowFilter = s.RowFilter
		if s.Redact != nil {
			v.Redacted = s.Redact
		}
	}
	if p.UserID > 0 {
		u, err := client.User.Get(ctx, p.UserID)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		v.User = u
	}
	return v, nil
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
