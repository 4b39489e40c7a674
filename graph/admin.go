package graph

import (
	"context"
	"fmt"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/internal/audit"
)

// auditKey records the creation or revocation of an API key (never its secret).
func auditKey(ctx context.Context, c *ent.Client, action auditevent.Action, key *ent.APIKey) error {
	_, err := audit.Record(ctx, c, audit.Event{Action: action, Target: fmt.Sprint(key.ID),
		Details: map[string]any{"name": key.Name, "prefix": key.Prefix, "role": string(key.Role)}})
	return err
}

// orZero returns *p, or T's zero value when p is nil (optional arguments).
func orZero[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}
