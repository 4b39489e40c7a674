package funnel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/funnelbuild"
)

// buildKey is the key of the one FunnelBuild row.
const buildKey = "rollup"

// fingerprint identifies what the rollup depends on in the stage list: which stages there are,
// their order, kinds and whether they are retired. Names are left out: renaming a stage changes
// no figure.
func (set *stageSet) fingerprint() string {
	all := make([]*ent.Stage, 0, len(set.byID))
	for _, st := range set.byID {
		all = append(all, st)
	}
	slices.SortFunc(all, func(a, b *ent.Stage) int { return strings.Compare(a.Key, b.Key) })
	h := sha256.New()
	for _, st := range all {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00%t\n", st.Key, st.Position, st.Kind, st.Retired)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// builtFor returns the stage fingerprint the rollup was last built for; "" when none is
// recorded (a database from before the record: the rollup is taken as current, see Adopt).
func (s *Service) builtFor(ctx context.Context, c *ent.Client) (string, error) {
	b, err := c.FunnelBuild.Query().Where(funnelbuild.Key(buildKey)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("funnel: read the rollup's stage list: %w", err)
	}
	return b.StagesFingerprint, nil
}

// current reports whether the rollup was built for the stage list of set.
func (s *Service) current(ctx context.Context, set *stageSet) (bool, error) {
	fp, err := s.builtFor(ctx, s.read())
	return fp == "" || fp == set.fingerprint(), err
}

// recordBuilt records, through c, that the rollup now follows the stage list of set.
func recordBuilt(ctx context.Context, c *ent.Client, set *stageSet) error {
	return c.FunnelBuild.Create().SetKey(buildKey).SetStagesFingerprint(set.fingerprint()).SetBuiltAt(time.Now().UTC()).
		OnConflictColumns(funnelbuild.FieldKey).UpdateNewValues().Exec(ctx)
}

// Adopt records the current stage list as the rollup's when none is recorded yet: a rollup
// kept by the transitions from an empty start, or built before the record existed, follows the
// stage list it was maintained under. Run it at start, before the stage list can change.
func (r *Rollups) Adopt(ctx context.Context) error {
	fp, err := r.svc.builtFor(ctx, r.svc.client)
	if err != nil || fp != "" {
		return err
	}
	set, err := r.svc.stages(ctx)
	if err != nil {
		return err
	}
	return recordBuilt(ctx, r.svc.client, set)
}

// FollowStages rebuilds the rollup in the background whenever the stage list differs from the
// one it was built for (a stage added, retired, moved or changed kind), at each signal on
// changed (the policy engine's activations, and the start when the list changed meanwhile). Meanwhile the funnel reads the
// transitions (source TRANSITIONS). It returns when ctx ends.
func (r *Rollups) FollowStages(ctx context.Context, changed <-chan struct{}, log *slog.Logger) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
		if err := r.RebuildIfStagesChanged(ctx, log); err != nil && ctx.Err() == nil {
			log.Error("funnel: rebuild after a stage change failed; the funnel reads the transitions until `qualify funnel rebuild`", "err", err)
		}
	}
}

// StagesCurrent says whether the rollup was built for the stage list of now.
func (r *Rollups) StagesCurrent(ctx context.Context) (bool, error) {
	set, err := r.svc.stages(ctx)
	if err != nil {
		return false, err
	}
	return r.svc.current(ctx, set)
}

// RebuildIfStagesChanged rebuilds the rollup when the stage list differs from the one it was
// built for, marking the funnel as rebuilding meanwhile.
func (r *Rollups) RebuildIfStagesChanged(ctx context.Context, log *slog.Logger) error {
	set, err := r.svc.stages(ctx)
	if err != nil {
		return err
	}
	ok, err := r.svc.current(ctx, set)
	if err != nil || ok {
		return err
	}
	done := r.Rebuilding()
	defer done()
	log.Info("funnel: the stage list changed; rebuilding the rollup, the funnel reads the transitions until done")
	st, err := r.Rebuild(ctx)
	if err != nil {
		return err
	}
	log.Info("funnel: rebuilt the rollup for the new stage list", "rows", st.Rows, "elapsed", st.Duration.Round(time.Millisecond))
	return nil
}
