package graph

import (
	"context"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/gqlid"
)

// nodes resolves ids item by item: a malformed id (gqlid.Malformed) is VALIDATION_FAILED and a
// missing, hidden or other-type one NOT_FOUND, each at its own index with a null there; the
// other items are returned. Without malformed ids ent's Noders loads them a type at a time.
func nodes(ctx context.Context, client *ent.Client, ids []int) ([]ent.Noder, error) {
	if !slices.Contains(ids, gqlid.Malformed) && len(ids) != 1 {
		return client.Noders(ctx, ids)
	}
	out := make([]ent.Noder, len(ids))
	for i, id := range ids {
		item := graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i))
		if id == gqlid.Malformed {
			graphql.AddError(item, domainerr.Validation(fmt.Sprintf("ids.%d", i), "not an id"))
			continue
		}
		n, err := client.Noder(ctx, id)
		if err != nil {
			graphql.AddError(item, err)
			continue
		}
		out[i] = n
	}
	return out, nil
}
