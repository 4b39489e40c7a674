package seed

import (
	"context"
	"runtime"
	"time"
)

// generate generates the leads of plan in batches of per, on every core, and hands the
// batches to write in plan order, one at a time. Each lead draws from its own stream, so the
// data does not depend on the batching or on which goroutine generated it.
func generate(ctx context.Context, seed uint64, plan []slot, per int, s *staff, cs []company, now time.Time,
	write func([]*prospect) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		lo, hi int
		ps     []*prospect
		done   chan struct{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	todo := make(chan *batch, workers)
	order := make(chan *batch, 2*workers) // bounds how far generation runs ahead of writing
	go func() {
		defer close(todo)
		defer close(order)
		for lo := 0; lo < len(plan); lo += per {
			b := &batch{lo: lo, hi: min(lo+per, len(plan)), done: make(chan struct{})}
			select {
			case order <- b:
			case <-ctx.Done():
				return
			}
			todo <- b
		}
	}()
	for range workers {
		go func() {
			r := newRNG(seed, streamLead, 0)
			for b := range todo {
				b.ps = make([]*prospect, 0, b.hi-b.lo)
				for i := b.lo; i < b.hi && ctx.Err() == nil; i++ {
					r.reseed(seed, streamLead, uint64(i))
					b.ps = append(b.ps, newProspect(r, s, cs, plan[i], now))
				}
				close(b.done)
			}
		}()
	}
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := write(b.ps); err != nil {
			return err
		}
	}
	return ctx.Err()
}
