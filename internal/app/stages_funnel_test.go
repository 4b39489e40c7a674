package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type funnelAnswer struct {
	Funnel struct {
		Source string
		Groups []struct {
			Steps []struct {
				Stage                  string
				Reached                int
				ConversionFromPrevious *float64
			}
		}
	}
}

// Revenue ops add a stage to data.json, move leads through it and retire it again: the funnel
// follows each change with no manual rebuild, and a lead is counted for a stage only if it
// entered that stage or a later stage of the funnel.
func TestStagesAsAManagedChange(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		dir := copyBundle(t)
		api := apitest.Start(t, db, func(c *app.Config) { c.PoliciesDir, c.PolicyPoll = dir, 200*time.Millisecond })
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go func() { _ = api.App.FollowPolicies(ctx) }()
		go func() { _ = api.App.FollowStages(ctx) }()

		start := time.Now().UTC().Add(-time.Hour)
		day := start.Truncate(24 * time.Hour)
		// 10 leads to sql and 5 to sal, written as history (an import), then rolled up.
		walk(t, api, start, 10, false, "lead", "mql", "sal", "sql")
		walk(t, api, start, 5, false, "lead", "mql", "sal")
		if _, err := api.App.Funnel.Rollups().Rebuild(context.Background()); err != nil {
			t.Fatal(err)
		}
		steps := func(t *testing.T, want map[string]int, absent ...string) {
			t.Helper()
			var got funnelAnswer
			eventually(t, "the funnel to read the rebuilt rollup", func() bool {
				api.Data(t, `query($in: FunnelInput!) { funnel(input: $in) { source groups { steps { stage reached conversionFromPrevious } } } }`,
					map[string]any{"in": map[string]any{"period": map[string]any{"from": day.AddDate(0, 0, -1), "to": day.AddDate(0, 0, 2)}}}, &got)
				for _, s := range got.Funnel.Groups[0].Steps {
					if c := s.ConversionFromPrevious; c != nil && *c > 1 {
						t.Fatalf("source %s: %s conversionFromPrevious %.3f > 1: %+v", got.Funnel.Source, s.Stage, *c, got.Funnel.Groups[0].Steps)
					}
				}
				return got.Funnel.Source != "TRANSITIONS"
			})
			seen := map[string]int{}
			for _, s := range got.Funnel.Groups[0].Steps {
				seen[s.Stage] = s.Reached
			}
			for k, n := range want {
				if seen[k] != n {
					t.Errorf("%s reached %d, want %d (%+v)", k, seen[k], n, got.Funnel.Groups[0].Steps)
				}
			}
			for _, k := range absent {
				if _, ok := seen[k]; ok {
					t.Errorf("retired stage %s is in the default funnel", k)
				}
			}
		}
		steps(t, map[string]int{"sal": 15, "sql": 10})

		// Add demo_booked between sal and sql (sql and later move down one).
		data := filepath.Join(dir, "data.json")
		orig, err := os.ReadFile(data)
		if err != nil {
			t.Fatal(err)
		}
		added := strings.NewReplacer(
			`{"key": "sql", "name": "Sales qualified lead", "position": 4`, `{"key": "demo_booked", "name": "Demo booked", "position": 4, "kind": "open"},
      {"key": "sql", "name": "Sales qualified lead", "position": 5`,
			`"position": 5, "kind": "open"}`, `"position": 6, "kind": "open"}`,
			`"position": 6, "kind": "won"}`, `"position": 7, "kind": "won"}`,
		).Replace(string(orig))
		activate(t, api, data, added, "demo_booked")
		// New leads go through it the way the lifecycle writes moves (each rolled up as it happens).
		walk(t, api, start, 3, true, "lead", "mql", "sal", "demo_booked", "sql")
		walk(t, api, start, 2, true, "lead", "mql", "sal", "demo_booked", "sal")
		// The 10 earlier sql leads passed demo_booked in the new order, like the 5 new ones.
		steps(t, map[string]int{"sal": 20, "demo_booked": 15, "sql": 13})

		// Retire it: the shipped list again, sql back at position 4, where demo_booked was.
		activate(t, api, data, string(orig), "")
		steps(t, map[string]int{"sal": 20, "sql": 13}, "demo_booked")
	})
}

// activate saves data.json with content and waits until the Stage table has (or, with key "",
// has retired) the stages it names.
func activate(t *testing.T, api *apitest.Instance, path, content, key string) {
	t.Helper()
	writeFile(t, path, content)
	eventually(t, "the new stage list to be active", func() bool {
		if key != "" {
			n, err := api.App.DB.Client.Stage.Query().Where(stage.Key(key), stage.Retired(false)).Count(context.Background())
			return err == nil && n == 1
		}
		n, err := api.App.DB.Client.Stage.Query().Where(stage.Key("demo_booked"), stage.Retired(true)).Count(context.Background())
		return err == nil && n == 1
	})
}

// walk writes n leads with the history keys, a minute apart from start; with record, each
// transition is rolled up in its transaction as the lifecycle does, else only stored.
func walk(t *testing.T, api *apitest.Instance, start time.Time, n int, record bool, keys ...string) {
	t.Helper()
	ctx := context.Background()
	c := api.App.DB.Client
	ids := map[string]int{}
	var furthest *ent.Stage
	for _, k := range keys {
		st := c.Stage.Query().Where(stage.Key(k)).OnlyX(ctx)
		ids[k] = st.ID
		if furthest == nil || st.Position > furthest.Position {
			furthest = st
		}
	}
	for range n {
		tx, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l := tx.Lead.Create().SetLastName("Walk").SetSource(lead.SourceWEB_FORM).SetCreatedAt(start).
			SetStageID(ids[keys[len(keys)-1]]).SetFurthestStageID(furthest.ID).SaveX(ctx)
		var from *ent.StageTransition
		for i, k := range keys {
			at := start.Add(time.Duration(i) * time.Minute)
			cr := tx.StageTransition.Create().SetLeadID(l.ID).SetToStageID(ids[k]).SetOccurredAt(at).
				SetActorKind(stagetransition.ActorKindSYSTEM).SetTrigger(stagetransition.TriggerIMPORT)
			if from != nil {
				cr.SetFromStageID(from.ToStageID).SetFromEnteredAt(from.OccurredAt)
			}
			from = cr.SaveX(ctx)
		}
		if record {
			if err := api.App.Funnel.Rollups().RecordLead(ctx, tx.Client(), l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}
