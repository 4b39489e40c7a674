package funnel

import (
	"context"

	"github.com/qualify/qualify/ent/user"
)

// nameOwners sets OwnerName on the keys grouped by owner, with one query for all of them.
func (s *Service) nameOwners(ctx context.Context, keys []*GroupKey) error {
	var ids []int
	for _, k := range keys {
		if k.OwnerID != nil {
			ids = append(ids, *k.OwnerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	users, err := s.client.User.Query().Where(user.IDIn(ids...)).Select(user.FieldID, user.FieldName).All(ctx)
	if err != nil {
		return err
	}
	names := make(map[int]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	for _, k := range keys {
		if k.OwnerID == nil {
			continue
		}
		if n, ok := names[*k.OwnerID]; ok {
			k.OwnerName = &n
		}
	}
	return nil
}
