package funnel

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/domainerr"
)

// TrendInput asks for the conversion from one stage to a later one per week or month.
type TrendInput struct {
	From     string              `json:"from"`
	To       string              `json:"to"`
	Period   Period              `json:"period"`
	Interval Interval            `json:"interval"`
	Where    *ent.LeadWhereInput `json:"where"`
}

// Trend is a conversion per period.
type Trend struct {
	Source Source        `json:"source"`
	Points []*TrendPoint `json:"points"`
}

// TrendPoint is one bucket: the leads that reached From in it (by the day they reached it, UTC;
// weeks start on Monday) and how many of them have reached To since.
type TrendPoint struct {
	PeriodStart string   `json:"periodStart"`
	ReachedFrom int      `json:"reachedFrom"`
	ReachedTo   int      `json:"reachedTo"`
	Conversion  *float64 `json:"conversion"`
}

// ConversionTrend computes the conversion From→To of the leads that reached From in the period,
// bucketed by when they reached it.
func (s *Service) ConversionTrend(ctx context.Context, in TrendInput) (*Trend, error) {
	if err := validPeriod(in.Period); err != nil {
		return nil, err
	}
	if in.Interval != IntervalWeek && in.Interval != IntervalMonth {
		return nil, domainerr.Validation("interval", "must be WEEK or MONTH")
	}
	sc, err := s.open(ctx, in.Where)
	if err != nil {
		return nil, err
	}
	steps, err := sc.set.resolve([]string{in.From, in.To})
	if err != nil {
		return nil, err
	}
	res := &Trend{Source: sc.source, Points: []*TrendPoint{}}
	st := sc.stmt()
	at, to := sc.col("r", 'r', steps[0].ID), sc.col("r", 'r', steps[1].ID)
	rc, rcArgs := sc.rowCond()
	// Counted per UTC day, which Go folds into weeks and months: formatting a calendar bucket
	// per row (to_char of date_trunc) cost a third of the statement at 1M leads.
	lo, loArg := s.epochBound(in.Period.From)
	hi, hiArg := s.epochBound(in.Period.To)
	st.add(`SELECT CAST(floor(`+at+` / 86400) AS INTEGER) AS b, COUNT(*), COUNT(`+to+`)
FROM `+sc.table+` r WHERE `+at+` >= `+lo+` AND `+at+` < `+hi+rc+` GROUP BY b`,
		append([]any{loArg, hiArg}, rcArgs...)...)
	points := map[string]*TrendPoint{}
	err = sc.runAll(ctx, job{st: st, scan: func(rows *sql.Rows) error {
		var day int64
		var from, reached int
		if err := rows.Scan(&day, &from, &reached); err != nil {
			return err
		}
		start := bucketStart(time.Unix(day*86400, 0).UTC(), in.Interval)
		p := points[start]
		if p == nil {
			p = &TrendPoint{PeriodStart: start}
			points[start] = p
			res.Points = append(res.Points, p)
		}
		p.ReachedFrom += from
		p.ReachedTo += reached
		return nil
	}})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(res.Points, func(a, b *TrendPoint) int { return strings.Compare(a.PeriodStart, b.PeriodStart) })
	for _, p := range res.Points {
		if p.ReachedFrom > 0 {
			p.Conversion = ptr(float64(p.ReachedTo) / float64(p.ReachedFrom))
		}
	}
	return res, nil
}

// bucketStart is the first day ("YYYY-MM-DD", UTC) of the week (Monday) or month of day.
func bucketStart(day time.Time, iv Interval) string {
	if iv == IntervalWeek {
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)).Format(time.DateOnly)
	}
	return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
