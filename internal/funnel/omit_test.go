package funnel_test

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// TestStageDurationsComputeOnlyWhatIsSelected checks over HTTP that a stageDurations query
// without median and p90 sorts nothing and one without cumulative reads no cumulative stay
// (nor funnel_restays, which only corrects cumulative sums), and that what it selects equals
// the brute force.
func TestStageDurationsComputeOnlyWhatIsSelected(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w, _, api := servedWorld(t, db, rand.New(rand.NewPCG(17, 4)), 120)
		var mu sync.Mutex
		var stmts []string
		funnel.SetTrace(api.App.Funnel, func(q string, _ []any) { mu.Lock(); stmts = append(stmts, q); mu.Unlock() })
		in := funnel.Input{Period: funnel.Period{From: base, To: base.AddDate(0, 6, 0)}, GroupBy: []funnel.Dimension{funnel.DimSource}}
		vars := map[string]any{"input": in}
		want := w.bruteDurations(in, nil)
		cumulative := regexp.MustCompile(`\br\.c\d+\b|funnel_restays`)

		for _, tc := range []struct {
			name, selection           string
			percentiles, cumulativeOK bool
		}{
			{"means and counts", "leads latest { mean } cumulative { mean }", false, true},
			{"latest only", "leads latest { median p90 mean }", true, false},
			{"counts only", "leads", false, false},
		} {
			stmts = nil
			var got struct{ StageDurations funnel.Durations }
			api.Data(t, `query($input: FunnelInput!) { stageDurations(input: $input) { groups { source stages { stage `+tc.selection+` } } } }`, vars, &got)
			joined := strings.Join(stmts, "\n")
			if strings.Contains(joined, "percentile") || strings.Contains(joined, "ROW_NUMBER") {
				if !tc.percentiles {
					t.Fatalf("%s: the percentiles were computed though not selected:\n%s", tc.name, joined)
				}
			} else if tc.percentiles {
				t.Fatalf("%s: no percentile statement:\n%s", tc.name, joined)
			}
			if cumulative.MatchString(joined) != tc.cumulativeOK {
				t.Fatalf("%s: cumulative stays read %v, want %v:\n%s", tc.name, !tc.cumulativeOK, tc.cumulativeOK, joined)
			}
			// What is selected is the brute force's; what is not is empty.
			expect := map[string]*funnel.DurationGroup{}
			for k, g := range want {
				eg := &funnel.DurationGroup{GroupKey: g.GroupKey}
				for _, s := range g.Stages {
					es := &funnel.StageDuration{Stage: s.Stage, Leads: s.Leads}
					if strings.Contains(tc.selection, "latest") {
						es.Latest.Mean = s.Latest.Mean
						if tc.percentiles {
							es.Latest.Median, es.Latest.P90 = s.Latest.Median, s.Latest.P90
						}
					}
					if tc.cumulativeOK {
						es.Cumulative.Mean = s.Cumulative.Mean
					}
					eg.Stages = append(eg.Stages, es)
				}
				expect[k] = eg
			}
			compareDurations(t, tc.name, got.StageDurations.Groups, expect, false)
		}
	})
}
