package funnel

import (
	"context"
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

// SamplePercentilesAbove sets the rollup size above which the medians and p90s of an answer
// come from the sample (PercentilesSampled): 0 samples any rollup, a negative n never samples.
func (s *Service) SamplePercentilesAbove(n int64) { s.sampleAbove.Store(n) }

// samplesPercentiles tells whether the percentiles of sc's answer come from the sample: on
// PostgreSQL (SQLite keeps no sample), from the rollup, unless exact ones are asked for, and
// when the rollup holds more leads than the threshold.
func (sc *scope) samplesPercentiles(ctx context.Context, exact bool) (bool, error) {
	s := sc.svc
	above := s.sampleAbove.Load()
	if !s.pg() || sc.source != SourceRollup || exact || above < 0 {
		return false, nil
	}
	if above == 0 {
		return true, nil
	}
	rows, err := s.rollupRowsFor(ctx)
	return rows > above, err
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

// percentileTable is the table the percentile statements of sc read: the sample when sampled.
func (sc *scope) percentileTable(sampled bool) string {
	if sampled {
		return "funnel_sample"
	}
	return sc.table
}

// method is the PercentileMethod and rate of an answer whose percentiles were sampled or not.
func method(sampled bool) (PercentileMethod, *float64) {
	if sampled {
		return PercentilesSampled, ptr(SampleRate)
	}
	return PercentilesExact, nil
}
