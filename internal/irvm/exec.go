package irvm

import (
	"errors"
	"fmt"
	"time"

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

func (m *machine) runPlan(input Value) (*Set, error) {
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
func (m *machine) call(s *stmt, caller []Value) (Value, error) {
	fn := s.fn
	if fn.memo && m.known[fn.index] {
		return m.memo[fn.index], nil
	}
	// Strict built-in errors may turn what a static function cached as undefined into an error.
	static := fn.static && !m.strict
	if static {
		if r := m.prog.static[fn.index].Load(); r != nil {
			return r.v, nil
		}
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	l, mark := m.push(fn.nlocals)
	defer m.pop(mark)
	for i, p := range fn.params {
		l[p] = read(s.args[i], caller)
	}
	var out Value
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
	if static {
		m.prog.static[fn.index].Store(&staticResult{out})
	}
	return out, nil
}

// read is an operand's value.
func read(o operand, l []Value) Value {
	if o.val != nil {
		return o.val
	}
	return l[o.local]
}

func (m *machine) block(stmts []stmt, l []Value) (int, error) {
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
			v := dot(src, key)
			if v == nil {
				if s.dataKey && storeKey(src, key) {
					return 0, errUnplanned
				}
				return 0, nil
			}
			l[s.target] = v

		case opLen:
			src := read(s.a, l)
			if src == nil {
				return 0, nil
			}
			n, ok := length(src)
			if !ok {
				return 0, nil
			}
			l[s.target] = int64(n)

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
			if cur != nil && (v == nil || !Equal(cur, v)) {
				return 0, conflict(s.loc, "complete rules must not produce multiple outputs")
			}
			l[s.target] = v

		case opReset:
			l[s.target] = nil

		case opMake:
			l[s.target] = s.a.val

		case opMakeArray:
			l[s.target] = newArray(s.n)

		case opMakeObject:
			l[s.target] = &Object{}

		case opMakeSet:
			l[s.target] = newSet(0)

		case opEqual, opNotEqual:
			a, b := read(s.a, l), read(s.b, l)
			if a == nil || b == nil || Equal(a, b) != (s.op == opEqual) {
				return 0, nil
			}

		case opIsArray, opIsObject, opIsSet:
			v := read(s.a, l)
			if v == nil || !isKind(s.op, v) {
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
			arr, ok := l[s.target].(*Array)
			v := read(s.a, l)
			if !ok || v == nil {
				return 0, fmt.Errorf("irvm: append to %T", l[s.target])
			}
			arr.elems = append(arr.elems, v)

		case opObjectInsert, opObjectInsertOnce:
			obj, ok := l[s.target].(*Object)
			k, v := read(s.a, l), read(s.b, l)
			if !ok || k == nil || v == nil {
				return 0, fmt.Errorf("irvm: insert into %T", l[s.target])
			}
			if s.op == opObjectInsertOnce {
				if cur := obj.Get(k); cur != nil {
					if !Equal(cur, v) {
						return 0, conflict(s.loc, "object keys must be unique")
					}
					continue
				}
			}
			obj.Insert(k, v)

		case opSetAdd:
			set, ok := l[s.target].(*Set)
			v := read(s.a, l)
			if !ok || v == nil {
				return 0, fmt.Errorf("irvm: add to %T", l[s.target])
			}
			set.Add(v)

		case opArrayOf:
			arr := newArray(len(s.args))
			for _, a := range s.args {
				v := read(a, l)
				if v == nil {
					return 0, errors.New("irvm: undefined array element")
				}
				arr.elems = append(arr.elems, v)
			}
			l[s.target] = arr

		case opSetOf:
			set := newSet(len(s.args))
			for _, a := range s.args {
				v := read(a, l)
				if v == nil {
					return 0, errors.New("irvm: undefined set element")
				}
				set.Add(v)
			}
			l[s.target] = set

		case opObjectOf:
			obj, err := object(s, l)
			if err != nil {
				return 0, err
			}
			l[s.target] = obj

		case opResultSetAdd:
			if v := l[s.a.local]; v != nil {
				m.result.Add(v)
			}

		case opNop:
		}
	}
	return done, nil
}

// errUnplanned is an evaluation the plan cannot answer as topdown does.
var errUnplanned = fmt.Errorf("%w: a computed key into base data of another type than the key it may find", ErrUnplanned)

// storeKey reports whether topdown, which reads base data from the store by a path of strings,
// may find key in src where comparing values does not: a non-string key of an object, a string
// index of an array.
func storeKey(src, key Value) bool {
	_, isString := key.(string)
	switch src.(type) {
	case *Object:
		return !isString
	case *Array:
		return isString
	}
	return false
}

// scan runs the body once per element of a collection; a scalar or undefined source has none.
func (m *machine) scan(s *stmt, l []Value) (int, error) {
	out := done // also when there are no elements
	var stop bool
	var err error
	switch x := l[s.a.local].(type) {
	case *Array:
		for i := 0; i < len(x.elems); i++ {
			if out, stop, err = m.step(s, l, int64(i), x.elems[i]); stop {
				break
			}
		}
	case *Object:
		for i := 0; i < len(x.keys); i++ {
			if out, stop, err = m.step(s, l, x.keys[i], x.vals[i]); stop {
				break
			}
		}
	case *Set:
		for i := 0; i < len(x.elems); i++ {
			if out, stop, err = m.step(s, l, x.elems[i], x.elems[i]); stop {
				break
			}
		}
	}
	return out, err
}

// step runs a scan's body for one element; stop ends the scan, whose outcome is out.
func (m *machine) step(s *stmt, l []Value, k, v Value) (out int, stop bool, err error) {
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
