package funnel

import (
	"context"

	"github.com/qualify/qualify/ent/user"
)

// nameOwners sets OwnerName on the groups grouped by owner, with one query for all of them.
func nameOwners[G keyed](ctx context.Context, s *Service, groups []G) error {
	var ids []int
	for _, g := range groups {
		if k := g.groupKey(); k.OwnerID != nil {
			ids = append(ids, *k.OwnerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	users, err := s.read().User.Query().Where(user.IDIn(ids...)).Select(user.FieldID, user.FieldName).All(ctx)
	if err != nil {
		return err
	}
	names := make(map[int]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	for _, g := range groups {
		k := g.groupKey()
		if k.OwnerID == nil {
			continue
		}
		if n, ok := names[*k.OwnerID]; ok {
			k.OwnerName = &n
		}
	}
	return nil
}
