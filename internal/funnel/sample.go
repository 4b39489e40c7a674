package funnel

import (
	"context"
	"math"
	"strconv"
	"time"
)

// defaultSampleAbove is the rollup size (leads) above which percentiles are sampled: at 250k
// leads the exact sorts of a year's stays take ~100–200 ms a statement on two cores, and grow
// with the leads; the sample's (an eighth) stay under that up to 2M.
const defaultSampleAbove = 250_000

// rowEstimateTTL is how long a rollup size estimate is reused: the choice between sampled and
// exact percentiles need not follow every insert.
const rowEstimateTTL = time.Minute

type rowEstimate struct {
	rows int64
	at   time.Time
}

// defaultSampleAtMost is about the most leads a sampled answer reads the stays of: above it the
// sample (an eighth of the rollup) is read at half its rate, a quarter, and so on, by the same
// hash, so that its sorts cost about the same at any size. At 1M leads the whole eighth (125k
// leads, 16 stays each) took ~160 ms of CPU for a stageDurations by source, half of it ~90,
// beside ~450 for the exact counts and means of every lead on the same two cores.
const defaultSampleAtMost = 62_500

// minSampleRate bounds the halving: one lead in 1,024.
const minSampleRate = 1.0 / 1024

// SamplePercentilesAbove sets the rollup size above which the medians and p90s of an answer
// come from the sample (PercentilesSampled): 0 samples any rollup, a negative n never samples.
func (s *Service) SamplePercentilesAbove(n int64) {
	s.sampleAbove.Store(n)
	s.rollupRows.Store(nil) // the next answer reads the size afresh
}

// SampleAtMost sets about the most leads sampled percentiles are computed from (see
// defaultSampleAtMost); 0 reads the whole sample at any size.
func (s *Service) SampleAtMost(n int64) {
	s.sampleAtMost.Store(n)
	s.rollupRows.Store(nil)
}

// sampleRate is the share of the leads the percentiles of sc's answer are computed from, 0 for
// every value: sampled on PostgreSQL (SQLite keeps no sample), from the rollup, unless exact
// ones are asked for, when the rollup holds more leads than the threshold; SampleRate halved
// while the rollup's leads at that rate would pass the SampleAtMost bound.
func (sc *scope) sampleRate(ctx context.Context, exact bool) (float64, error) {
	s := sc.svc
	above, atMost := s.sampleAbove.Load(), s.sampleAtMost.Load()
	if !s.pg() || sc.source != SourceRollup || exact || above < 0 {
		return 0, nil
	}
	var rows int64
	if above > 0 || atMost > 0 {
		var err error
		if rows, err = s.rollupRowsFor(ctx); err != nil {
			return 0, err
		}
	}
	if above > 0 && rows <= above {
		return 0, nil
	}
	rate := SampleRate
	for atMost > 0 && float64(rows)*rate > float64(atMost) && rate > minSampleRate {
		rate /= 2
	}
	return rate, nil
}

// rollupRowsFor is the planner's estimate of the rollup's rows (pg_class.reltuples, kept by
// autovacuum and by the rebuild's ANALYZE), cached for rowEstimateTTL: a count would scan it.
func (s *Service) rollupRowsFor(ctx context.Context) (int64, error) {
	if e := s.rollupRows.Load(); e != nil && time.Since(e.at) < rowEstimateTTL {
		return e.rows, nil
	}
	rows, err := s.read().QueryContext(ctx, "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'funnel_leads'::regclass")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	s.rollupRows.Store(&rowEstimate{rows: n, at: time.Now()})
	return n, nil
}

// percentileFrom is the table the percentile statements of sc read, the sample when sampled,
// and the condition (on alias) that keeps a sample read below SampleRate to its share: the
// leads whose hashint8(id) falls in the lowest rate of its range, as the sample's own
// qualify_funnel_sampled keeps the lowest eighth.
func (sc *scope) percentileFrom(rate float64, alias string) (table, cond string) {
	if rate == 0 {
		return sc.table, ""
	}
	if rate < SampleRate {
		cond = " AND hashint8(" + alias + ".id) < " + strconv.FormatInt(hashBelow(rate), 10)
	}
	return "funnel_sample", cond
}

// hashBelow is the bound under which hashint8 (an int4) falls for the given share of ids.
func hashBelow(rate float64) int64 { return math.MinInt32 + int64(math.Round(rate*(1<<32))) }

// method is the PercentileMethod and rate of an answer whose percentiles were computed from
// the given share of the leads (0: every value).
func method(rate float64) (PercentileMethod, *float64) {
	if rate > 0 {
		return PercentilesSampled, ptr(rate)
	}
	return PercentilesExact, nil
}
