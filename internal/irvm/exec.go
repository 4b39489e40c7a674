package irvm

import (
	"errors"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// A block's outcome: it ran to its end (done), a return statement ran (returned), or it was
// left, by an undefined statement or a break, with n ≥ 0 more enclosing blocks to leave. The
// levels are those of OPA's Wasm compiler: every block is one, and a scan is two (its loop,
// where 0 means the next element, and the scan itself, where 1 means past the scan).
const (
	done     = -1
	returned = -2
)

// checkEvery is how many calls and scan steps pass between two looks at the context.
const checkEvery = 64

func (m *machine) runPlan(input *ast.Term) (ast.Value, error) {
	l, mark := m.push(m.prog.plan.nlocals)
	defer m.pop(mark)
	l[ir.Input], l[ir.Data] = input, m.prog.data
	for _, b := range m.prog.plan.blocks {
		r, err := m.block(b, l)
		if err != nil {
			return nil, err
		}
		if r == returned {
			break
		}
		if r > 0 {
			return nil, errors.New("irvm: break out of the plan")
		}
	}
	return m.result, nil
}

// check stops a runaway evaluation: the caller's cancel (rego.EvalExternalCancel) is an atomic
// load, the context is looked at every checkEvery steps.
func (m *machine) check() error {
	if m.cancel != nil && m.cancel.Cancelled() {
		return &topdown.Error{Code: topdown.CancelErr, Message: "caller cancelled query execution"}
	}
	m.steps++
	if m.steps%checkEvery == 0 {
		if err := m.ctx.Err(); err != nil {
			return &topdown.Error{Code: topdown.CancelErr, Message: "caller cancelled query execution: " + err.Error()}
		}
		if !m.deadline.IsZero() && time.Now().After(m.deadline) {
			return ErrDeadline
		}
	}
	return nil
}

// call runs a planned function with the arguments of s read from the caller's locals.
func (m *machine) call(s *stmt, caller []*ast.Term) (*ast.Term, error) {
	fn := s.fn
	if fn.memo && m.known[fn.index] {
		return m.memo[fn.index], nil
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	l, mark := m.push(fn.nlocals)
	defer m.pop(mark)
	for i, p := range fn.params {
		l[p] = read(s.args[i], caller)
	}
	var out *ast.Term
	for _, b := range fn.blocks {
		r, err := m.block(b, l)
		if err != nil {
			return nil, err
		}
		if r == returned {
			out = m.ret
			break
		}
		if r > 0 {
			return nil, fmt.Errorf("irvm: break out of %s", fn.name)
		}
	}
	if fn.memo {
		m.memo[fn.index], m.known[fn.index] = out, true
	}
	return out, nil
}

// read is an operand's term, with an array under construction made an ast.Array first.
func read(o operand, l []*ast.Term) *ast.Term {
	if o.term != nil {
		return o.term
	}
	return final(l[o.local])
}

// final turns an array built by appends into an ast.Array, in place so that every alias of the
// term sees it, the first time anything but an append looks at it.
func final(t *ast.Term) *ast.Term {
	if t != nil {
		if b, ok := t.Value.(*arrayBuilder); ok {
			t.Value = ast.NewArray(b.elems...)
		}
	}
	return t
}

func (m *machine) block(stmts []stmt, l []*ast.Term) (int, error) {
	for i := range stmts {
		s := &stmts[i]
		switch s.op {
		case opReturn:
			m.ret = l[s.a.local]
			return returned, nil

		case opCallFunc:
			v, err := m.call(s, l)
			if err != nil {
				return 0, err
			}
			if v == nil {
				return 0, nil
			}
			l[s.target] = v

		case opCallBuiltin:
			v, err := m.builtin(s, l)
			if err != nil {
				return 0, err
			}
			if v == nil {
				return 0, nil
			}
			l[s.target] = v

		case opBlock:
			for _, b := range s.blocks {
				r, err := m.block(b, l)
				if err != nil || r == returned {
					return r, err
				}
				if r > 0 {
					return r - 1, nil
				}
			}

		case opBreak:
			return s.n, nil

		case opDot:
			src, key := read(s.a, l), read(s.b, l)
			if src == nil || key == nil {
				return 0, nil
			}
			v := dot(src.Value, key)
			if v == nil {
				return 0, nil
			}
			l[s.target] = v

		case opLen:
			src := read(s.a, l)
			if src == nil {
				return 0, nil
			}
			l[s.target] = ast.InternedTerm(length(src.Value))

		case opScan:
			r, err := m.scan(s, l)
			if err != nil || r != done {
				return r, err
			}

		case opNot:
			r, err := m.block(s.blocks[0], l)
			switch {
			case err != nil || r == returned:
				return r, err
			case r == done: // the negated block holds
				return 0, nil
			case r > 0:
				return r - 1, nil
			}

		case opAssign:
			l[s.target] = read(s.a, l)

		case opAssignOnce:
			v, cur := read(s.a, l), l[s.target]
			if cur != nil && (v == nil || ast.Compare(cur.Value, v.Value) != 0) {
				return 0, conflict(s.loc, "complete rules must not produce multiple outputs")
			}
			l[s.target] = v

		case opReset:
			l[s.target] = nil

		case opMake:
			l[s.target] = s.a.term

		case opMakeArray:
			b := &arrayBuilder{elems: make([]*ast.Term, 0, max(s.n, 4))}
			b.term.Value = b
			l[s.target] = &b.term

		case opMakeObject:
			l[s.target] = ast.NewTerm(ast.NewObject())

		case opMakeSet:
			l[s.target] = ast.NewTerm(ast.NewSet())

		case opEqual, opNotEqual:
			a, b := read(s.a, l), read(s.b, l)
			if a == nil || b == nil || (ast.Compare(a.Value, b.Value) == 0) != (s.op == opEqual) {
				return 0, nil
			}

		case opIsArray, opIsObject, opIsSet:
			v := read(s.a, l)
			if v == nil || !isKind(s.op, v.Value) {
				return 0, nil
			}

		case opIsDefined:
			if l[s.a.local] == nil {
				return 0, nil
			}

		case opIsUndefined:
			if l[s.a.local] != nil {
				return 0, nil
			}

		case opArrayAppend:
			// Collections built by a plan are mutated in place, as the Wasm runtime does: an
			// alias of the local sees the element.
			t, v := l[s.target], read(s.a, l)
			if v == nil {
				return 0, errors.New("irvm: append of an undefined value")
			}
			switch arr := t.Value.(type) {
			case *arrayBuilder:
				arr.elems = append(arr.elems, v)
			case *ast.Array:
				t.Value = arr.Append(v)
			default:
				return 0, fmt.Errorf("irvm: append to %T", t.Value)
			}

		case opObjectInsert, opObjectInsertOnce:
			obj, ok := l[s.target].Value.(ast.Object)
			k, v := read(s.a, l), read(s.b, l)
			if !ok || k == nil || v == nil {
				return 0, fmt.Errorf("irvm: insert into %T", l[s.target].Value)
			}
			if s.op == opObjectInsertOnce {
				if cur := obj.Get(k); cur != nil {
					if ast.Compare(cur.Value, v.Value) != 0 {
						return 0, conflict(s.loc, "object keys must be unique")
					}
					continue
				}
			}
			obj.Insert(k, v)

		case opSetAdd:
			set, ok := l[s.target].Value.(ast.Set)
			v := read(s.a, l)
			if !ok || v == nil {
				return 0, fmt.Errorf("irvm: add to %T", l[s.target].Value)
			}
			set.Add(v)

		case opArrayOf:
			terms := make([]*ast.Term, len(s.args))
			for i, a := range s.args {
				if terms[i] = read(a, l); terms[i] == nil {
					return 0, errors.New("irvm: undefined array element")
				}
			}
			l[s.target] = ast.NewTerm(ast.NewArray(terms...))

		case opSetOf:
			set := ast.NewSetWithCapacity(len(s.args))
			for _, a := range s.args {
				v := read(a, l)
				if v == nil {
					return 0, errors.New("irvm: undefined set element")
				}
				set.Add(v)
			}
			l[s.target] = ast.NewTerm(set)

		case opObjectOf:
			obj, err := m.object(s, l)
			if err != nil {
				return 0, err
			}
			l[s.target] = ast.NewTerm(obj)

		case opResultSetAdd:
			if v := final(l[s.a.local]); v != nil {
				m.result.Add(v)
			}

		case opNop:
		}
	}
	return done, nil
}

// scan runs the body once per element of a collection; a scalar or undefined source has none.
func (m *machine) scan(s *stmt, l []*ast.Term) (int, error) {
	src := final(l[s.a.local])
	if src == nil {
		return done, nil
	}
	out := done // also when there are no elements
	var stop bool
	var err error
	switch x := src.Value.(type) {
	case *ast.Array:
		for i := range x.Len() {
			if out, stop, err = m.step(s, l, ast.InternedTerm(i), x.Elem(i)); stop {
				break
			}
		}
	case ast.Object:
		x.Until(func(k, v *ast.Term) bool {
			out, stop, err = m.step(s, l, k, v)
			return stop
		})
	case ast.Set:
		x.Until(func(e *ast.Term) bool {
			out, stop, err = m.step(s, l, e, e)
			return stop
		})
	}
	return out, err
}

// step runs a scan's body for one element; stop ends the scan, whose outcome is out.
func (m *machine) step(s *stmt, l []*ast.Term, k, v *ast.Term) (out int, stop bool, err error) {
	if err := m.check(); err != nil {
		return 0, true, err
	}
	l[s.key], l[s.val] = k, v
	r, err := m.block(s.blocks[0], l)
	switch {
	case err != nil || r == returned:
		return r, true, err
	case r == done || r == 0: // next element
		return done, false, nil
	case r == 1: // past the scan
		return done, true, nil
	default:
		return r - 2, true, nil
	}
}

func (m *machine) builtin(s *stmt, l []*ast.Term) (*ast.Term, error) {
	// The arguments live on the stack for the call only: built-ins keep terms, not the slice.
	args, mark := m.push(len(s.args))
	defer m.pop(mark)
	for i, a := range s.args {
		args[i] = read(a, l)
	}
	m.out = nil
	bctx := m.bctx
	bctx.Location = s.loc
	err := s.builtin(bctx, args, m.iter)
	out := m.out
	if err != nil {
		// As topdown without strict built-in errors: the call is undefined, unless the
		// built-in halts evaluation.
		var halt topdown.Halt
		if m.strict || errors.As(err, &halt) {
			return nil, err
		}
		return nil, nil
	}
	return out, nil
}
