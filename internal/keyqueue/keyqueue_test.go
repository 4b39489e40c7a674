package keyqueue

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One holder per key at a time, and every waiter gets its turn.
func TestOneHolderPerKey(t *testing.T) {
	var (
		q       Queue[int]
		wg      sync.WaitGroup
		inside  [2]atomic.Int32
		overlap atomic.Bool
		ran     atomic.Int32
	)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := i % 2
			release, err := q.Wait(context.Background(), key)
			if err != nil {
				t.Error(err)
				return
			}
			if inside[key].Add(1) > 1 {
				overlap.Store(true)
			}
			time.Sleep(50 * time.Microsecond)
			inside[key].Add(-1)
			ran.Add(1)
			release()
			release() // a second call does nothing
		}()
	}
	wg.Wait()
	if overlap.Load() {
		t.Error("two holders of one key at once")
	}
	if ran.Load() != 200 {
		t.Errorf("%d of 200 ran", ran.Load())
	}
	if n := q.Len(); n != 0 {
		t.Errorf("%d keys left behind", n)
	}
}

// Another key does not wait; a waiter whose context ends leaves the queue with its error and
// holds nothing.
func TestWaitEndsWithItsContext(t *testing.T) {
	var q Queue[string]
	release, err := q.Wait(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	other, err := q.Wait(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	other()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := q.Wait(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting past the deadline: %v, want DeadlineExceeded", err)
	}
	release()
	next, err := q.Wait(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	next()
	if n := q.Len(); n != 0 {
		t.Errorf("%d keys left behind", n)
	}
}
