// Package policystore ties the policy engine to the database: it keeps the history of every
// revision loaded, refuses revisions that drop stages still holding leads, and syncs the Stage
// table when a revision goes live.
package policystore

import (
	"context"
	"fmt"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/stagesync"
)

// Store implements policy.Guard and policy.Recorder over ent.
type Store struct {
	client *ent.Client
}

// New returns a Store.
func New(client *ent.Client) *Store { return &Store{client: client} }

// Attach registers the store with the engine's activation hook; the engine's Options take the
// store as Guard and Recorder.
func (s *Store) Attach(e *policy.Engine) {
	e.OnActivate(func(ctx context.Context, rev, _ *policy.Revision) error {
		return stagesync.Sync(ctx, s.client, rev.Stages())
	})
}

// CheckActivation implements policy.Guard.
func (s *Store) CheckActivation(ctx context.Context, rev *policy.Revision) error {
	return stagesync.CheckRemoval(ctx, s.client, rev.Stages())
}

// RecordRevision implements policy.Recorder: one row per content hash, updated as its status
// changes.
func (s *Store) RecordRevision(ctx context.Context, rec policy.RevisionRecord) error {
	files := make(map[string]string, rec.Files.Len())
	for p, b := range rec.Files.All() {
		files[p] = string(b)
	}
	problems := make([]qualtype.Problem, len(rec.Problems))
	for i, p := range rec.Problems {
		problems[i] = qualtype.Problem{File: p.File, Row: p.Row, Col: p.Col, Message: p.Message}
	}
	status := policyrevision.Status(strings.ToUpper(string(rec.Status)))
	// A new content gets its manifest revision as label, or revision+<hash prefix> when another
	// content has it already; two replicas recording at once collide on the unique label, and
	// the loser takes the suffixed one.
	var err error
	for _, label := range s.labels(ctx, rec) {
		create := s.client.PolicyRevision.Create().
			SetRevision(rec.Revision).SetLabel(label).SetHash(rec.Hash).SetFiles(files).SetSource(rec.Source).
			SetLoadedAt(rec.LoadedAt).SetStatus(status).SetProblems(problems)
		if status == policyrevision.StatusACTIVE {
			create.SetActivatedAt(rec.ChangedAt)
		}
		err = create.OnConflictColumns(policyrevision.FieldHash).
			Update(func(u *ent.PolicyRevisionUpsert) {
				u.UpdateStatus().UpdateProblems().UpdateSource()
				if status == policyrevision.StatusACTIVE {
					u.UpdateActivatedAt().UpdateLoadedAt()
				}
			}).Exec(ctx)
		if err == nil || !ent.IsConstraintError(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("record policy revision %s: %w", rec.Hash, err)
	}
	return nil
}

// labels are the labels to try for rec, best first: the manifest revision while no other
// content has it, then the revision with the first 12 characters of the hash, which is unique.
func (s *Store) labels(ctx context.Context, rec policy.RevisionRecord) []string {
	suffixed := rec.Hash[:min(12, len(rec.Hash))]
	if rec.Revision != "" {
		suffixed = rec.Revision + "+" + suffixed
	}
	if rec.Revision == "" {
		return []string{suffixed}
	}
	taken, err := s.client.PolicyRevision.Query().
		Where(policyrevision.LabelEQ(rec.Revision), policyrevision.HashNEQ(rec.Hash)).Exist(ctx)
	if err != nil || taken {
		return []string{suffixed}
	}
	return []string{rec.Revision, suffixed}
}
