package policyadmin

import (
	"context"
	"fmt"
	"sync"

	"github.com/qualify/qualify/internal/policy"
)

// RequalifyOptions narrow a requalify beyond its where filter.
type RequalifyOptions struct {
	// OnlyChangedFrom names a stored revision (hash or manifest revision): only the leads whose
	// requalify outcome the active revision changes compared with it are requalified. Leads
	// that already disagreed with that revision keep their stage: a release moves what it
	// changed, nothing else. Empty: every matching lead.
	OnlyChangedFrom string
}

// pageFilter narrows a page of lead ids to those a job requalifies.
type pageFilter func(ctx context.Context, ids []int) ([]int, error)

// Revision prepares a stored revision (by hash or manifest revision) for decisions: the active
// one as it is, another compiled from its stored files. The last few prepared are kept, since a
// replay or a changed-only requalify tends to ask for the same one again.
func (s *Service) Revision(ctx context.Context, ref string) (*policy.Revision, error) {
	if a := s.cfg.Engine.Active(); a != nil && (a.Hash() == ref || a.ID() == ref) {
		return a, nil
	}
	rec, err := s.findRevision(ctx, ref)
	if err != nil {
		return nil, err
	}
	if rev := s.prepared.get(rec.Hash); rev != nil {
		return rev, nil
	}
	fs, err := StoredFiles(rec)
	if err != nil {
		return nil, err
	}
	rev, rep := s.cfg.Engine.Verify(ctx, fs)
	if rev == nil {
		return nil, &DraftError{Report: rep}
	}
	s.prepared.put(rev)
	return rev, nil
}

// revisionCache keeps the last few prepared revisions by hash.
type revisionCache struct {
	mu   sync.Mutex
	revs []*policy.Revision // most recent last
}

const preparedRevisions = 4

func (c *revisionCache) get(hash string) *policy.Revision {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.revs {
		if r.Hash() == hash {
			return r
		}
	}
	return nil
}

func (c *revisionCache) put(r *policy.Revision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revs = append(c.revs, r)
	if len(c.revs) > preparedRevisions {
		c.revs = c.revs[1:]
	}
}

// changedOnly is the filter of RequalifyOptions.OnlyChangedFrom: it decides each lead of a page
// on the base revision and on the active one, with the same PlanMove a requalify runs, and keeps
// those whose outcome differs.
func (s *Service) changedOnly(ctx context.Context, ref string) (pageFilter, error) {
	base, err := s.Revision(ctx, ref)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ids []int) ([]int, error) {
		active, err := activeOrFail(s.cfg.Engine)
		if err != nil {
			return nil, err
		}
		r, err := s.cfg.Lifecycle.NewFactsReader(ctx)
		if err != nil {
			return nil, err
		}
		cands, err := r.Load(ctx, ids)
		if err != nil {
			return nil, err
		}
		var keep []int
		for i := range cands {
			c := &cands[i]
			in := policy.ConvertLeadInput(&c.Input)
			was, err := decide(ctx, base, in, c)
			if err != nil {
				return nil, fmt.Errorf("lead %d on %s: %w", c.ID, base.ID(), err)
			}
			now, err := decide(ctx, active, in, c)
			if err != nil {
				return nil, fmt.Errorf("lead %d on %s: %w", c.ID, active.ID(), err)
			}
			if was.outcome != now.outcome {
				keep = append(keep, c.ID)
			}
		}
		return keep, nil
	}, nil
}
