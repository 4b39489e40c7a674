// Package keyqueue lets the goroutines of one process take turns per key (a lead's id), first
// come first served, and wait for their turn without holding anything else.
package keyqueue

import (
	"context"
	"sync"
)

// Queue is a set of per-key turns. The zero value is ready to use; it must not be copied.
type Queue[K comparable] struct {
	mu    sync.Mutex
	turns map[K]*turn
}

// turn is one key's token: held while its holder runs, waited for by the others.
type turn struct {
	token chan struct{} // full while held; Go serves blocked senders first in, first out
	users int           // holder and waiters; the turn is dropped at zero
}

// Wait blocks until it is the caller's turn for key, or ctx ends (its error is returned and
// nothing is held). On success the caller must call the returned release exactly once.
func (q *Queue[K]) Wait(ctx context.Context, key K) (release func(), err error) {
	q.mu.Lock()
	if q.turns == nil {
		q.turns = map[K]*turn{}
	}
	t := q.turns[key]
	if t == nil {
		t = &turn{token: make(chan struct{}, 1)}
		q.turns[key] = t
	}
	t.users++
	q.mu.Unlock()

	select {
	case t.token <- struct{}{}:
	default:
		select {
		case t.token <- struct{}{}:
		case <-ctx.Done():
			q.leave(key, t)
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-t.token
			q.leave(key, t)
		})
	}, nil
}

// leave drops the caller from key's users, and the turn when nobody is left.
func (q *Queue[K]) leave(key K, t *turn) {
	q.mu.Lock()
	if t.users--; t.users == 0 {
		delete(q.turns, key)
	}
	q.mu.Unlock()
}

// Len is the number of keys held or waited for (tests: nothing is left behind).
func (q *Queue[K]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.turns)
}
