package funnel

import (
	"slices"
	"testing"
	"time"
)

func TestCohortPeriods(t *testing.T) {
	m := func(y int, mo time.Month) time.Time { return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		from, to time.Time
		months   bool
		want     []string
	}{
		{m(2025, 1), m(2025, 2), false, []string{"2025-01"}},
		{m(2025, 1), m(2026, 1), false, []string{"2025"}},
		{m(2025, 1), m(2026, 1), true, []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
			"2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"}},
		{m(2024, 11), m(2026, 11), false, []string{"2024-11", "2024-12", "2025", "2026-Q1", "2026-Q2", "2026-Q3", "2026-10"}},
		{m(2025, 2), m(2025, 8), false, []string{"2025-02", "2025-03", "2025-Q2", "2025-07"}},
		{m(2025, 11), m(2026, 11), false, []string{"2025-11", "2025-12", "2026-Q1", "2026-Q2", "2026-Q3", "2026-10"}},
	}
	for _, c := range cases {
		if got := cohortPeriods(c.from, c.to, c.months); !slices.Equal(got, c.want) {
			t.Errorf("cohortPeriods(%s, %s, %v) = %v, want %v", c.from.Format("2006-01"), c.to.Format("2006-01"), c.months, got, c.want)
		}
	}
}
