package decisionlog

import (
	"context"
	"math"
	"sync/atomic"

	"github.com/qualify/qualify/ent"
)

// Sampler logs one in every so many of a frequent read-only decision (authorisation: one per
// root field of every request), after the fact and with the client. Counting rather than
// drawing at random spreads the logged ones evenly and keeps tests deterministic.
type Sampler struct {
	client *ent.Client
	every  uint64 // 0: never
	seen   atomic.Uint64
}

// NewSampler logs the given fraction (0..1) of the decisions offered to it.
func NewSampler(client *ent.Client, rate float64) *Sampler {
	s := &Sampler{client: client}
	if rate > 0 {
		s.every = uint64(math.Max(1, math.Round(1/math.Min(rate, 1))))
	}
	return s
}

// Offer logs e when its turn comes; it reports whether it did.
func (s *Sampler) Offer(ctx context.Context, e Entry) (bool, error) {
	if s == nil || s.every == 0 || s.seen.Add(1)%s.every != 0 {
		return false, nil
	}
	return true, Write(ctx, s.client, e)
}
