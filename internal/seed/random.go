package seed

import (
	"math"
	"math/rand/v2"
	"time"
)

// Streams of the seed. Every part of the data set draws from its own stream, and each lead from
// its own, so that a lead's data does not depend on how the others were drawn or batched.
const (
	streamUsers uint64 = iota + 1
	streamAccounts
	streamPlan
	streamLead
)

// rng is a reseedable PCG generator: one allocation, reseeded per stream or per lead.
type rng struct {
	*rand.Rand
	pcg *rand.PCG
}

func newRNG(seed, stream, index uint64) *rng {
	pcg := rand.NewPCG(0, 0)
	r := &rng{Rand: rand.New(pcg), pcg: pcg}
	r.reseed(seed, stream, index)
	return r
}

// reseed points the generator at element index of stream.
func (r *rng) reseed(seed, stream, index uint64) {
	r.pcg.Seed(mix(seed^0x9e3779b97f4a7c15), mix(stream<<48^index))
}

// mix is SplitMix64's finaliser: close inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// chance is true with probability p.
func (r *rng) chance(p float64) bool { return r.Float64() < p }

// between returns an int in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// logNormal draws around median with spread sigma (of the logarithm): most values near the
// median, a long tail above it, as time in stage and company size are.
func (r *rng) logNormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// days draws a log-normal duration with the given median in days, at least an hour and at most
// max days, rounded to the second.
func (r *rng) days(median, sigma, maxDays float64) time.Duration {
	d := min(r.logNormal(median, sigma), maxDays) * 24 * float64(time.Hour)
	return max(time.Duration(d).Truncate(time.Second), time.Hour)
}

// within returns a duration in [lo, hi), rounded to the second.
func (r *rng) within(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return (lo + time.Duration(r.Int64N(int64(hi-lo)))).Truncate(time.Second)
}

// one picks an element of a slice uniformly.
func one[T any](r *rng, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted is a value with a relative weight.
type weighted[T any] struct {
	v T
	w int
}

// pick draws from weighted values in proportion to their weights.
func pick[T any](r *rng, xs []weighted[T]) T {
	total := 0
	for _, x := range xs {
		total += x.w
	}
	n := r.IntN(total)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}

// table draws indexes in proportion to weights by binary search over cumulative sums; for
// large, fixed sets such as "which account does this lead belong to".
type table struct{ cum []float64 }

func newTable(n int, weight func(i int) float64) table {
	cum := make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += weight(i)
		cum[i] = sum
	}
	return table{cum}
}

func (t table) pick(r *rng) int {
	x := r.Float64() * t.cum[len(t.cum)-1]
	lo, hi := 0, len(t.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if t.cum[mid] <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// reasonOf draws a reason code and one of its texts.
func reasonOf(r *rng, rs []reason) (code, text string) {
	total := 0
	for _, x := range rs {
		total += x.weight
	}
	n := r.IntN(total)
	for _, x := range rs {
		if n < x.weight {
			return x.code, one(r, x.texts)
		}
		n -= x.weight
	}
	last := rs[len(rs)-1]
	return last.code, last.texts[0]
}
