package funnel

import (
	"context"

	"github.com/qualify/qualify/ent/user"
)

// nameOwners sets OwnerName and OwnerAtReachName on the groups grouped by an owner, with one
// query for all of them.
func nameOwners[G keyed](ctx context.Context, s *Service, groups []G) error {
	var ids []int
	for _, g := range groups {
		k := g.groupKey()
		for _, id := range []*int{k.OwnerID, k.OwnerAtReachID} {
			if id != nil {
				ids = append(ids, *id)
			}
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
	name := func(id *int) *string {
		if id == nil {
			return nil
		}
		if n, ok := names[*id]; ok {
			return &n
		}
		return nil
	}
	for _, g := range groups {
		k := g.groupKey()
		k.OwnerName, k.OwnerAtReachName = name(k.OwnerID), name(k.OwnerAtReachID)
	}
	return nil
}
