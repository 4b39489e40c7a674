package policy

import (
	"context"
	"sync"
)

// busy counts the verifications running in an engine. The plan probe of a live revision is
// background work that may wait: it pauses between its inputs while a save is verified, so that
// on a small machine the save gets the cores (a probe overlapping the next save cost that save
// about a fifth of its CPU).
type busy struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0
}

func newBusy() *busy {
	idle := make(chan struct{})
	close(idle)
	return &busy{idle: idle}
}

// enter marks a verification as running until the returned function is called. A nil *busy
// counts nothing.
func (b *busy) enter() (leave func()) {
	if b == nil {
		return func() {}
	}
	b.mu.Lock()
	if b.n == 0 {
		b.idle = make(chan struct{})
	}
	b.n++
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			if b.n--; b.n == 0 {
				close(b.idle)
			}
			b.mu.Unlock()
		})
	}
}

// wait returns once no verification runs, or with ctx's error.
func (b *busy) wait(ctx context.Context) error {
	if b == nil {
		return ctx.Err()
	}
	b.mu.Lock()
	idle := b.idle
	b.mu.Unlock()
	select {
	case <-idle:
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}
