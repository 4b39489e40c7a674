package funnel

import (
	"math"
	"strconv"
)

// Duration sketches: funnel_sketches keeps, per key, a histogram of values in days over
// log-spaced buckets, as DDSketch does. A value v > 0 goes to bucket i = ceil(ln v / ln γ),
// which holds (γ^(i-1), γ^i] and is read back as 2γ^i/(γ+1): within SketchRelativeError of
// every value in it. Zero (a skipped stage reached with the next one, a stay of no time) has a
// bucket of its own, read back as exactly 0, and a value of a few seconds keeps its relative
// error (buckets go negative), so there is no floor to clamp at.
//
// A percentile is percentile_cont's formula (the values at ranks ⌊h⌋+1 and ⌊h⌋+2, h = p(n-1),
// interpolated) with each of the two values read from the bucket holding that rank, found with
// cumulative bucket counts; a convex combination of two values each within α of the true one
// is itself within α of percentile_cont. Means are exact: each bucket keeps the sum of its values.
//
// Histograms are kept per cohort month, quarter and year, and a period of whole months is read
// as the fewest of them that tile it (cohortPeriods): two years are 7 histograms, not 24.

// SketchRelativeError is α: a SKETCH percentile is within α·|exact| of the exact one.
const SketchRelativeError = 0.02

// zeroBucket holds the values ≤ 0; below any bucket of a positive value.
const zeroBucket = -1000000

var (
	sketchGamma = (1 + SketchRelativeError) / (1 - SketchRelativeError)
	lnGamma     = math.Log(sketchGamma)
)

func sqlFloat(f float64) string { return strconv.FormatFloat(f, 'g', 17, 64) }

// bucketIndexSQL is the bucket of the value expression v.
func bucketIndexSQL(v string) string {
	return "CASE WHEN " + v + " > 0 THEN CAST(ceil(ln(" + v + ") / " + sqlFloat(lnGamma) + ") AS INTEGER) ELSE " +
		strconv.Itoa(zeroBucket) + " END"
}

// bucketValueSQL is the value a bucket stands for.
func bucketValueSQL(b string) string {
	return "CASE WHEN " + b + " = " + strconv.Itoa(zeroBucket) + " THEN 0.0 ELSE " +
		sqlFloat(2/(sketchGamma+1)) + " * exp(" + b + " * " + sqlFloat(lnGamma) + ") END"
}

// sketchPercentileSQL aggregates hist (columns g1, g2: the group's keys, k, k2, m, bucket, n,
// s: summed bucket counts as INTEGER, so that their window sums are BIGINT and not NUMERIC on
// PostgreSQL, and value sums; n > 0) into dcols (d1..d6 computed from g1 and g2), k, k2, m,
// count, mean, median and 90th percentile.
func sketchPercentileSQL(hist, dcols string) string {
	part := "PARTITION BY g1, g2, k, k2, m"
	pct := func(p string) string {
		// In floating point: PostgreSQL's numeric arithmetic costs more than the windows.
		h := p + " * CAST(cnt - 1 AS DOUBLE PRECISION)"
		at := func(off string) string {
			r := "floor(" + h + ") + " + off
			return "MAX(CASE WHEN cum - n < " + r + " AND " + r + " <= cum THEN est END)"
		}
		lo, hi := at("1"), at("2")
		return lo + " + MAX(" + h + " - floor(" + h + ")) * (COALESCE(" + hi + ", " + lo + ") - " + lo + ")"
	}
	return `SELECT ` + dcols + `, k, k2, m, MAX(cnt), MAX(tot) / MAX(cnt), ` + pct("0.5") + `, ` + pct("0.9") + `
FROM (SELECT h.*, ` + bucketValueSQL("h.bucket") + ` AS est,
    SUM(n) OVER (` + part + ` ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS cum,
    SUM(n) OVER (` + part + `) AS cnt, SUM(s) OVER (` + part + `) AS tot
  FROM (` + hist + `) h) w
GROUP BY g1, g2, k, k2, m`
}
