package irvm

import (
	"context"
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
	bctx   topdown.BuiltinContext
	memo   []*ast.Term
	known  []bool
	result ast.Set
	ret    *ast.Term
	steps  int
	// deadline is polled with the context, which spares a caller a timer per evaluation.
	deadline time.Time
	out      *ast.Term             // a built-in's output
	iter     func(*ast.Term) error // stores a built-in's output in out
	stack    []*ast.Term           // frames and arguments, grown by chunks
	items    [][2]*ast.Term        // object literal scratch: ast.NewObject copies its items
	sp       int
	high     int // the highest sp of the evaluation, to clear only what was used
}

// stackChunk is the size of a frame chunk: the shipped lead decision peaks near 200 locals.
const stackChunk = 1024

// push returns n cleared locals on the stack; pop(mark) releases everything pushed since mark.
// A chunk that is too small is replaced, and frames in the old one stay valid for their callers.
func (m *machine) push(n int) ([]*ast.Term, stackMark) {
	mark := stackMark{m.stack, m.sp}
	if m.sp+n > len(m.stack) {
		m.stack, m.sp = make([]*ast.Term, max(stackChunk, n)), 0
	}
	fr := m.stack[m.sp : m.sp+n : m.sp+n]
	clear(fr)
	m.sp += n
	m.high = max(m.high, m.sp)
	return fr, mark
}

type stackMark struct {
	stack []*ast.Term
	sp    int
}

func (m *machine) pop(mark stackMark) { m.stack, m.sp = mark.stack, mark.sp }

// machines are reused: their stack and memo tables are the bulk of an evaluation's garbage.
var machines = sync.Pool{New: func() any {
	m := &machine{stack: make([]*ast.Term, stackChunk)}
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
		m.memo, m.known = make([]*ast.Term, len(p.funcs)), make([]bool, len(p.funcs))
	} else {
		m.memo, m.known = m.memo[:len(p.funcs)], m.known[:len(p.funcs)]
		clear(m.memo)
		clear(m.known)
	}
	if len(m.stack) < stackChunk {
		m.stack = make([]*ast.Term, stackChunk)
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
		items:  m.items,
		result: ast.NewSet(),
		bctx: topdown.BuiltinContext{
			Context: ctx,
			Time:    ast.NewTerm(ast.Number(strconv.FormatInt(now.UnixNano(), 10))),
			Cancel:  cancel,
			Cache:   builtins.Cache{},
		},
	}
	return m
}

// release returns m to the pool, dropping what it references.
func (m *machine) release() {
	clear(m.stack[:min(m.high, len(m.stack))])
	clear(m.memo)
	m.ctx, m.prog, m.result, m.ret, m.out, m.bctx = nil, nil, nil, nil, nil, topdown.BuiltinContext{}
	machines.Put(m)
}
