package sla_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/sla"
)

// regoDeadline is the bundle's own rule, business_deadline of calendar.rego, on a calendar given
// in the input.
func regoDeadline(t *testing.T) func(cal policy.ScheduleConfig, at time.Time, n int) (time.Time, bool) {
	t.Helper()
	q, err := rego.New(
		rego.Query("x := data.qualify.schedule.business_deadline(input.ns, input.n) with data.qualify.config.schedule as input.cal"),
		rego.Load([]string{"../../policies"}, nil),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return func(cal policy.ScheduleConfig, at time.Time, n int) (time.Time, bool) {
		c := map[string]any{"time_zone": cal.TimeZone, "business_days": cal.BusinessDays, "holidays": cal.Holidays}
		rs, err := q.Eval(context.Background(), rego.EvalInput(map[string]any{"ns": at.UnixNano(), "n": n, "cal": c}))
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			return time.Time{}, false
		}
		ns, err := rs[0].Bindings["x"].(interface{ Int64() (int64, error) }).Int64()
		if err != nil {
			t.Fatal(err)
		}
		return time.Unix(0, ns).UTC(), true
	}
}

func shippedSchedule(t *testing.T) policy.ScheduleConfig {
	t.Helper()
	e := policy.New(policy.Options{EvalTimeout: 10 * time.Second})
	files, err := policy.ReadDir("../../policies")
	if err != nil {
		t.Fatal(err)
	}
	rev, err := e.Load(context.Background(), files, "test")
	if err != nil {
		t.Fatal(err)
	}
	return rev.Schedule()
}

// The Go calendar gives the deadlines of calendar.rego: its own test cases, then random moments
// (daylight saving weekends, holidays, late evenings UTC) on the shipped calendar and on others.
func TestCalendarMatchesRego(t *testing.T) {
	want := regoDeadline(t)
	shipped := shippedSchedule(t)
	calendars := []policy.ScheduleConfig{
		shipped,
		{TimeZone: "UTC", BusinessDays: []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday"}, Holidays: []string{}},
		{TimeZone: "America/New_York", BusinessDays: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"},
			Holidays: []string{"2026-11-26", "2026-12-25", "2027-01-01"}},
		{TimeZone: "Asia/Kolkata", BusinessDays: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}, Holidays: []string{}},
		{TimeZone: "Europe/Berlin", BusinessDays: []string{}, Holidays: []string{}},
	}
	// calendar_test.rego's cases, on the shipped calendar.
	table := []struct {
		at   string
		n    int
		want string
	}{
		{"2026-11-30T09:00:00Z", 2, "2026-12-02T23:00:00Z"},
		{"2026-12-03T15:00:00Z", 2, "2026-12-07T23:00:00Z"},
		{"2026-12-05T10:00:00Z", 2, "2026-12-08T23:00:00Z"},
		{"2026-12-22T10:00:00Z", 2, "2026-12-28T23:00:00Z"},
		{"2026-11-30T23:30:00Z", 2, "2026-12-03T23:00:00Z"},
		{"2026-03-27T10:00:00Z", 2, "2026-03-31T22:00:00Z"},
	}
	cal, err := sla.NewCalendar(shipped)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range table {
		at, _ := time.Parse(time.RFC3339, c.at)
		got, ok := cal.Deadline(at, c.n)
		if !ok || got.UTC().Format(time.RFC3339) != c.want {
			t.Errorf("Deadline(%s, %d) = %v %v, want %s", c.at, c.n, got.UTC(), ok, c.want)
		}
	}
	r := rand.New(rand.NewPCG(17, 4))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dst := []time.Time{ // around the daylight saving weekends of Berlin and New York
		time.Date(2026, 3, 27, 22, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC),
		time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 7, 4, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 30, 23, 59, 59, 0, time.UTC), time.Date(2026, 12, 23, 23, 30, 0, 0, time.UTC),
	}
	for i, cfg := range calendars {
		cal, err := sla.NewCalendar(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ats := append([]time.Time(nil), dst...)
		for range 150 {
			ats = append(ats, start.Add(time.Duration(r.Int64N(int64(700*24*time.Hour)))))
		}
		for j, at := range ats {
			n := 1 + (i+j)%12
			if j%25 == 0 {
				n = 0 // undefined in both
			}
			exp, expOK := want(cfg, at, n)
			got, ok := cal.Deadline(at, n)
			if ok != expOK || !got.Equal(exp) {
				t.Errorf("%s: Deadline(%s, %d) = %v %v, Rego says %v %v", cfg.TimeZone, at.Format(time.RFC3339), n, got.UTC(), ok, exp, expOK)
			}
		}
	}
}
