package lifecycle

import (
	"context"
	"errors"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/policy"
)

// funnel is the stage table read once per unit of work (a handful of rows).
type funnel struct {
	all   []*ent.Stage // by position
	byKey map[string]*ent.Stage
	byID  map[int]*ent.Stage
	first *ent.Stage // the entry stage: the lowest open stage
	pg    bool       // the database is PostgreSQL (hand-written statements number their parameters)
}

// activeRevision is the policy engine's view of its active revision: the stage table is synced
// from it at each activation, so a funnel read under one revision serves every write under it.
type activeRevision interface{ Active() *policy.Revision }

// funnel is the stage table of the active revision, read once per revision instead of once per
// write. A decider that does not say which revision is active gets it read each time.
func (s *Service) funnel(ctx context.Context, c *ent.Client) (*funnel, error) {
	var hash string
	if a, ok := s.decider.(activeRevision); ok {
		if rev := a.Active(); rev != nil {
			hash = rev.Hash()
		}
	}
	if hash != "" {
		s.stagesMu.Lock()
		f := s.stages[hash]
		s.stagesMu.Unlock()
		if f != nil {
			return f, nil
		}
	}
	f, err := loadFunnel(ctx, c)
	if err != nil || hash == "" {
		return f, err
	}
	s.stagesMu.Lock()
	s.stages = map[string]*funnel{hash: f} // only the active revision's is kept
	s.stagesMu.Unlock()
	return f, nil
}

func loadFunnel(ctx context.Context, c *ent.Client) (*funnel, error) {
	var pg bool
	all, err := c.Stage.Query().Where(stage.Retired(false), func(s *sql.Selector) { pg = s.Dialect() == dialect.Postgres }).
		Order(ent.Asc(stage.FieldPosition)).All(ctx)
	if err != nil {
		return nil, err
	}
	f := &funnel{all: all, byKey: map[string]*ent.Stage{}, byID: map[int]*ent.Stage{}, pg: pg}
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
