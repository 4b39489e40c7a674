package lifecycle

import (
	"context"
	"errors"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stage"
)

// funnel is the stage table read once per unit of work (a handful of rows).
type funnel struct {
	all   []*ent.Stage // by position
	byKey map[string]*ent.Stage
	byID  map[int]*ent.Stage
	first *ent.Stage // the entry stage: the lowest open stage
}

func loadFunnel(ctx context.Context, c *ent.Client) (*funnel, error) {
	all, err := c.Stage.Query().Where(stage.Retired(false)).Order(ent.Asc(stage.FieldPosition)).All(ctx)
	if err != nil {
		return nil, err
	}
	f := &funnel{all: all, byKey: map[string]*ent.Stage{}, byID: map[int]*ent.Stage{}}
	for _, s := range all {
		f.byKey[s.Key], f.byID[s.ID] = s, s
		if f.first == nil && s.Kind == stage.KindOPEN {
			f.first = s
		}
	}
	if f.first == nil {
		return nil, errors.New("no open stage: the active policy has not synced the funnel's stages")
	}
	return f, nil
}

// ordered lists the stages by position.
func (f *funnel) ordered() []*ent.Stage { return f.all }

// inFunnel reports whether a stage counts toward "furthest reached": open and won stages do,
// parked and lost exits do not.
func inFunnel(s *ent.Stage) bool { return s.Kind == stage.KindOPEN || s.Kind == stage.KindWON }

// furthest returns the further of the lead's furthest stage and to.
func (f *funnel) furthest(currentFurthestID int, to *ent.Stage) int {
	cur := f.byID[currentFurthestID]
	if inFunnel(to) && (cur == nil || to.Position > cur.Position) {
		return to.ID
	}
	return currentFurthestID
}
