package txn

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/qualify/qualify/ent"
)

type scopeKey struct{}

// scope is what one attempt of Run defers to just before its commit. Inside a Batch, a
// savepoint has a scope of its own (parent set): what it defers is kept aside and handed to
// its parent only when the savepoint is released, so a unit of work rolled back leaves nothing
// to flush and nothing to announce.
type scope struct {
	order   []any // keys in the order they were first deferred
	pending map[any]*deferred

	batch  bool   // a Run inside is a savepoint
	parent *scope // the enclosing scope of a savepoint
	depth  int
	replay []func(*scope) error // Defer calls of a savepoint, for its parent
	after  []func()             // AfterCommit calls of a savepoint
	memo   map[any]any          // Memo's values (the outermost scope's)
}

// deferred is the work kept under one key: its item set (a map[T]struct{}) and what flushes it.
type deferred struct {
	set   any
	flush func(ctx context.Context, tx *ent.Client) error
}

// Defer adds item to the set kept under key in the transaction of ctx (a transaction Run
// started); just before that transaction commits, flush runs once, in it, with the set's items
// sorted. Work that would otherwise run once per change (a rollup rewritten per lead touched)
// then runs once per transaction, and its writes take their locks in one order whatever order
// the changes came in. Without a transaction of Run in ctx, flush runs at once with item alone.
func Defer[T cmp.Ordered](ctx context.Context, tx *ent.Client, key any, item T,
	flush func(ctx context.Context, tx *ent.Client, items []T) error) error {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	if sc == nil {
		return flush(ctx, tx, []T{item})
	}
	return deferIn(sc, key, item, flush)
}

func deferIn[T cmp.Ordered](sc *scope, key any, item T, flush func(ctx context.Context, tx *ent.Client, items []T) error) error {
	if sc.parent != nil {
		sc.replay = append(sc.replay, func(p *scope) error { return deferIn(p, key, item, flush) })
		return nil
	}
	if sc.pending == nil {
		sc.pending = map[any]*deferred{}
	}
	d, ok := sc.pending[key]
	if !ok {
		set := map[T]struct{}{}
		d = &deferred{set: set, flush: func(ctx context.Context, tx *ent.Client) error {
			items := make([]T, 0, len(set))
			for it := range set {
				items = append(items, it)
			}
			slices.Sort(items)
			return flush(ctx, tx, items)
		}}
		sc.pending[key] = d
		sc.order = append(sc.order, key)
	}
	set, ok := d.set.(map[T]struct{})
	if !ok {
		return fmt.Errorf("txn: items of another type deferred under key %v", key)
	}
	set[item] = struct{}{}
	return nil
}

// flush runs the deferred work in the order it was first deferred.
func (sc *scope) flush(ctx context.Context, tx *ent.Client) error {
	for _, k := range sc.order {
		if err := sc.pending[k].flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// DeferList appends item to the list kept under key in the transaction of ctx (a transaction Run
// started); just before that transaction commits, flush runs once, in it, with the items in the
// order they were added. Rows written once per change (a decision log entry) then go in one
// statement per transaction, or per batch. Without a transaction of Run in ctx, flush runs at
// once with item alone.
func DeferList[T any](ctx context.Context, tx *ent.Client, key any, item T,
	flush func(ctx context.Context, tx *ent.Client, items []T) error) error {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	if sc == nil {
		return flush(ctx, tx, []T{item})
	}
	return deferListIn(sc, key, item, flush)
}

func deferListIn[T any](sc *scope, key any, item T, flush func(ctx context.Context, tx *ent.Client, items []T) error) error {
	if sc.parent != nil {
		sc.replay = append(sc.replay, func(p *scope) error { return deferListIn(p, key, item, flush) })
		return nil
	}
	if sc.pending == nil {
		sc.pending = map[any]*deferred{}
	}
	d, ok := sc.pending[key]
	if !ok {
		list := &[]T{}
		d = &deferred{set: list, flush: func(ctx context.Context, tx *ent.Client) error {
			return flush(ctx, tx, *list)
		}}
		sc.pending[key] = d
		sc.order = append(sc.order, key)
	}
	list, ok := d.set.(*[]T)
	if !ok {
		return fmt.Errorf("txn: items of another type deferred under key %v", key)
	}
	*list = append(*list, item)
	return nil
}

// Memo returns the value kept under key in the transaction of ctx, loading it with load the
// first time: a read that many units of one transaction repeat (the enabled webhook endpoints,
// once per imported row) is then made once per transaction, or per batch. It is for data the
// transaction itself does not change; a retried attempt loads again. Without a transaction of
// Run in ctx, load runs every time.
func Memo[T any](ctx context.Context, key any, load func() (T, error)) (T, error) {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	if sc == nil {
		return load()
	}
	for sc.parent != nil {
		sc = sc.parent
	}
	if v, ok := sc.memo[key].(T); ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	if sc.memo == nil {
		sc.memo = map[any]any{}
	}
	sc.memo[key] = v
	return v, nil
}

// TakeList removes and returns the items DeferList has kept under key so far in the transaction
// of ctx, for a caller that writes them itself in a statement it sends anyway (the decisions of
// a lead's re-qualification, in its UPDATE); what is deferred later is flushed as before. In a
// savepoint of a Batch, and without a transaction of Run, it returns nothing: the items stay
// with the unit that may still roll back, or were written at once.
func TakeList[T any](ctx context.Context, key any) []T {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	if sc == nil || sc.parent != nil || sc.pending == nil {
		return nil
	}
	d, ok := sc.pending[key]
	if !ok {
		return nil
	}
	list, ok := d.set.(*[]T)
	if !ok {
		return nil
	}
	items := *list
	*list = nil
	return items
}
