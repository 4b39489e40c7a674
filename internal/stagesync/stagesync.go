// Package stagesync keeps the Stage table equal to the active policy bundle's stage list: the
// bundle is the funnel, the table is what leads and transitions point at.
package stagesync

import (
	"context"
	"fmt"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/policy"
)

// CheckRemoval returns an error naming every stored stage that the new list drops while leads
// are still in it. A bundle that does so must not be activated.
func CheckRemoval(ctx context.Context, client *ent.Client, stages []policy.Stage) error {
	keep := make(map[string]bool, len(stages))
	for _, s := range stages {
		keep[s.Key] = true
	}
	stored, err := client.Stage.Query().Where(stage.Retired(false)).All(ctx)
	if err != nil {
		return fmt.Errorf("read stages: %w", err)
	}
	var held []string
	for _, s := range stored {
		if keep[s.Key] {
			continue
		}
		n, err := client.Lead.Query().Where(lead.StageID(s.ID)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count leads in stage %s: %w", s.Key, err)
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%s (%d leads)", s.Key, n))
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("the bundle removes stages that still hold leads: %s", strings.Join(held, ", "))
	}
	return nil
}

// Sync adds new stages, updates names, positions and kinds, and retires stages the list no
// longer has (they stay because history names them). It runs in one transaction.
func Sync(ctx context.Context, client *ent.Client, stages []policy.Stage) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := sync(ctx, tx.Client(), stages); err != nil {
		return rollback(tx, err)
	}
	return tx.Commit()
}

func sync(ctx context.Context, c *ent.Client, stages []policy.Stage) error {
	stored, err := c.Stage.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("read stages: %w", err)
	}
	byKey := make(map[string]*ent.Stage, len(stored))
	for _, s := range stored {
		byKey[s.Key] = s
	}
	seen := make(map[string]bool, len(stages))
	for _, s := range stages {
		seen[s.Key] = true
		kind := stage.Kind(strings.ToUpper(s.Kind))
		if err := stage.KindValidator(kind); err != nil {
			return fmt.Errorf("stage %s: %w", s.Key, err)
		}
		old, ok := byKey[s.Key]
		switch {
		case !ok:
			err = c.Stage.Create().SetKey(s.Key).SetName(s.Name).SetPosition(s.Position).SetKind(kind).Exec(ctx)
		case old.Name != s.Name || old.Position != s.Position || old.Kind != kind || old.Retired:
			err = old.Update().SetName(s.Name).SetPosition(s.Position).SetKind(kind).SetRetired(false).Exec(ctx)
		}
		if err != nil {
			return fmt.Errorf("sync stage %s: %w", s.Key, err)
		}
	}
	for _, s := range stored {
		if !seen[s.Key] && !s.Retired {
			if err := s.Update().SetRetired(true).Exec(ctx); err != nil {
				return fmt.Errorf("retire stage %s: %w", s.Key, err)
			}
		}
	}
	return nil
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return fmt.Errorf("%w (rollback: %v)", err, rerr)
	}
	return err
}
