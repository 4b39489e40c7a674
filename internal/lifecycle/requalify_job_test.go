package lifecycle

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The bulk reader of simulations and re-qualification gives each lead exactly the input a
// single lead's qualification builds, on both databases; filters and pages cover every lead once.
func TestFactsReaderMatchesSingleLead(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 150, Seed: 3, Now: now.Truncate(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		s := New(db.Client, nil, WithClock(func() time.Time { return now }))
		f, err := loadFunnel(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		var seen []int
		withActs, withAccount := 0, 0
		err = s.ScanLeads(ctx, nil, 40, func(batch []Candidate) error {
			if len(batch) > 40 {
				t.Errorf("batch of %d leads, asked for 40", len(batch))
			}
			for _, c := range batch {
				seen = append(seen, c.ID)
				l, err := loadLead(ctx, db.Client, f, c.ID, now, false)
				if err != nil {
					return err
				}
				want := loadInput(l, rfc3339(now))
				if !reflect.DeepEqual(sortedInput(c.Input), sortedInput(want)) {
					t.Errorf("lead %d:\nbulk   %+v\nsingle %+v", c.ID, c.Input, want)
				}
				if c.Stage != l.Edges.Stage.Key {
					t.Errorf("lead %d: stage %q, want %q", c.ID, c.Stage, l.Edges.Stage.Key)
				}
				if len(want.Activities) > 0 {
					withActs++
				}
				if want.Account != nil {
					withAccount++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.Client.Lead.Query().Order(ent.Asc(lead.FieldID)).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(seen, all) {
			t.Errorf("scanned %d leads, want each of %d once in id order", len(seen), len(all))
		}
		if withActs == 0 || withAccount == 0 {
			t.Errorf("the seed gave no lead with activities (%d) or an account (%d): the test proves little", withActs, withAccount)
		}
		web := &ent.LeadWhereInput{Source: ptr(lead.SourceWEB_FORM)}
		n, err := s.CountLeads(ctx, web)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		err = s.PageLeadIDs(ctx, web, 7, func(ids []int) error {
			got += len(ids)
			return nil
		})
		if err != nil || got != n || n == 0 || n == len(all) {
			t.Errorf("filtered pages hold %d ids (%v), count says %d of %d", got, err, n, len(all))
		}
	})
}

// sortedInput orders the lists the loaders leave unordered (or ordered only up to ties).
func sortedInput(in policy.LeadInput) policy.LeadInput {
	in.Contacts = slices.Clone(in.Contacts)
	slices.SortFunc(in.Contacts, func(a, b policy.ContactFacts) int { return cmp.Compare(a.ID, b.ID) })
	in.Projects = slices.Clone(in.Projects)
	slices.SortFunc(in.Projects, func(a, b policy.ProjectFacts) int { return cmp.Compare(a.ID, b.ID) })
	in.Activities = slices.Clone(in.Activities)
	slices.SortFunc(in.Activities, func(a, b policy.ActivityFacts) int {
		return cmp.Or(cmp.Compare(a.OccurredAt, b.OccurredAt), cmp.Compare(a.Kind, b.Kind))
	})
	return in
}

func ptr[T any](v T) *T { return &v }
