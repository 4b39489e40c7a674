package irvm

import (
	"context"
	"crypto/rand"
	"strconv"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

type machine struct {
	ctx    context.Context
	prog   *program
	cancel topdown.Cancel
	strict bool
	bctx   topdown.BuiltinContext // see builtinContext
	now    time.Time
	memo   []Value
	known  []bool
	result *Set
	ret    Value
	steps  int
	// deadline is polled with the context, which spares a caller a timer per evaluation.
	deadline time.Time
	out      *ast.Term             // an OPA built-in's output
	iter     func(*ast.Term) error // stores an OPA built-in's output in out
	stack    []Value               // frames, grown by chunks
	args     [8]Value              // a built-in's arguments
	sp       int
	high     int // the highest sp of the evaluation, to clear only what was used
}

// stackChunk is the size of a frame chunk: the shipped lead decision peaks near 200 locals.
const stackChunk = 1024

// push returns n cleared locals on the stack; pop(mark) releases everything pushed since mark.
// A chunk that is too small is replaced, and frames in the old one stay valid for their callers.
func (m *machine) push(n int) ([]Value, stackMark) {
	mark := stackMark{m.stack, m.sp}
	if m.sp+n > len(m.stack) {
		m.stack, m.sp = make([]Value, max(stackChunk, n)), 0
	}
	fr := m.stack[m.sp : m.sp+n : m.sp+n]
	clear(fr)
	m.sp += n
	m.high = max(m.high, m.sp)
	return fr, mark
}

type stackMark struct {
	stack []Value
	sp    int
}

func (m *machine) pop(mark stackMark) { m.stack, m.sp = mark.stack, mark.sp }

// machines are reused: their stack and memo tables are the bulk of an evaluation's garbage.
var machines = sync.Pool{New: func() any {
	m := &machine{stack: make([]Value, stackChunk)}
	m.iter = func(t *ast.Term) error {
		m.out = t
		return nil
	}
	return m
}}

func newMachine(ctx context.Context, p *program, cancel topdown.Cancel, strict bool, now time.Time) *machine {
	if now.IsZero() {
		now = time.Now()
	}
	m := machines.Get().(*machine)
	if len(m.memo) < len(p.funcs) {
		m.memo, m.known = make([]Value, len(p.funcs)), make([]bool, len(p.funcs))
	} else {
		m.memo, m.known = m.memo[:len(p.funcs)], m.known[:len(p.funcs)]
		clear(m.memo)
		clear(m.known)
	}
	if len(m.stack) < stackChunk {
		m.stack = make([]Value, stackChunk)
	}
	*m = machine{
		ctx:    ctx,
		prog:   p,
		cancel: cancel,
		strict: strict,
		memo:   m.memo,
		known:  m.known,
		iter:   m.iter,
		stack:  m.stack,
		result: newSet(1),
		now:    now,
		bctx:   topdown.BuiltinContext{Context: ctx, Cancel: cancel},
	}
	return m
}

// builtinContext is the context of OPA's built-ins, completed the first time one is called:
// most evaluations call none.
func (m *machine) builtinContext() topdown.BuiltinContext {
	if m.bctx.Time == nil {
		m.bctx.Time = ast.NewTerm(ast.Number(strconv.FormatInt(m.now.UnixNano(), 10)))
		m.bctx.Cache = builtins.Cache{}
		if m.bctx.Seed == nil {
			m.bctx.Seed = rand.Reader // as topdown without rego.Seed
		}
	}
	return m.bctx
}

// release returns m to the pool, dropping what it references.
func (m *machine) release() {
	clear(m.stack[:min(m.high, len(m.stack))])
	clear(m.args[:])
	clear(m.memo)
	m.ctx, m.prog, m.result, m.ret, m.out, m.bctx = nil, nil, nil, nil, nil, topdown.BuiltinContext{}
	machines.Put(m)
}
