package sla

import (
	"fmt"
	"time"

	"github.com/qualify/qualify/internal/policy"
)

// Calendar counts business days as policies/qualify/schedule/calendar.rego does: a deadline of n
// business days after a moment is local midnight ending the nth business day after the local day
// of that moment. calendar_test.go checks it against the Rego rule on the same cases.
type Calendar struct {
	loc      *time.Location
	days     map[time.Weekday]bool
	holidays map[string]bool
}

// NewCalendar builds the calendar of a bundle's config.schedule.
func NewCalendar(cfg policy.ScheduleConfig) (*Calendar, error) {
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("sla: config.schedule.time_zone: %w", err)
	}
	c := &Calendar{loc: loc, days: map[time.Weekday]bool{}, holidays: map[string]bool{}}
	for _, name := range cfg.BusinessDays {
		d, ok := weekdays[name]
		if !ok {
			return nil, fmt.Errorf("sla: config.schedule.business_days: %q is no weekday", name)
		}
		c.days[d] = true
	}
	for _, h := range cfg.Holidays {
		c.holidays[h] = true
	}
	return c, nil
}

var weekdays = map[string]time.Weekday{
	"Sunday": time.Sunday, "Monday": time.Monday, "Tuesday": time.Tuesday, "Wednesday": time.Wednesday,
	"Thursday": time.Thursday, "Friday": time.Friday, "Saturday": time.Saturday,
}

// Deadline is the moment n business days after t fall due; ok is false where the Rego rule is
// undefined (n < 1, or no business day within its bounded search), so no SLA falls due.
func (c *Calendar) Deadline(t time.Time, n int) (time.Time, bool) {
	if n < 1 || len(c.days) == 0 {
		return time.Time{}, false
	}
	// The same bound as the Rego rule: whole weeks enough for n business days and every holiday,
	// and one more for the partial first week.
	weeks := (n+len(c.holidays)+len(c.days)-1)/len(c.days) + 1
	y, m, d := t.In(c.loc).Date()
	found := 0
	for k := 1; k <= weeks*7; k++ {
		// Noon never falls into a daylight saving gap; time.Date normalizes day overflow.
		day := time.Date(y, m, d+k, 12, 0, 0, 0, c.loc)
		if !c.days[day.Weekday()] || c.holidays[day.Format(time.DateOnly)] {
			continue
		}
		if found++; found == n {
			ny, nm, nd := day.Date()
			return time.Date(ny, nm, nd+1, 0, 0, 0, 0, c.loc), true
		}
	}
	return time.Time{}, false
}
