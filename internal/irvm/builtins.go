package irvm

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// native is a built-in function on plan values. It answers ok = false for anything but the
// common case (another type, a float, an overflow, an error), and OPA's own implementation then
// runs on the ast forms of the arguments, so that every edge and every error message is OPA's.
// out == nil with ok is undefined.
type native func(args []Value) (out Value, ok bool)

// natives are the built-ins the shipped policies call per decision.
var natives = map[string]native{
	"count": func(a []Value) (Value, bool) {
		n, ok := length(a[0])
		return int64(n), ok
	},
	"sum":          sumInts,
	"max":          extremeInt(1),
	"min":          extremeInt(-1),
	"sort":         sortValues,
	"array.concat": arrayConcat,
	"concat":       concat,
	"object.get":   objectGet,
	"sprintf":      sprintf,
	// Times as OPA has them: nanoseconds since the epoch, in UTC when no zone is given.
	"time.parse_rfc3339_ns": func(a []Value) (Value, bool) {
		s, ok := a[0].(string)
		if !ok {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339, s)
		return safeUnixNano(t, err)
	},
	"time.add_date": func(a []Value) (Value, bool) {
		ns, ok := a[0].(int64)
		y, ok1 := smallInt(a[1])
		m, ok2 := smallInt(a[2])
		d, ok3 := smallInt(a[3])
		if !ok || !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		return safeUnixNano(time.Unix(0, ns).UTC().AddDate(int(y), int(m), int(d)), nil)
	},
	"time.format": func(a []Value) (Value, bool) {
		ns, ok := a[0].(int64)
		if !ok {
			return nil, false
		}
		return time.Unix(0, ns).UTC().Format(time.RFC3339Nano), true
	},
	// A time's calendar fields in a zone, as the schedule policy asks them for every day it
	// looks at (business days, holidays, local noon).
	"time.date": zonedTime(func(t time.Time) Value {
		y, m, d := t.Date()
		return NewArray(int64(y), int64(m), int64(d))
	}),
	"time.clock": zonedTime(func(t time.Time) Value {
		h, m, s := t.Clock()
		return NewArray(int64(h), int64(m), int64(s))
	}),
	"time.weekday": zonedTime(func(t time.Time) Value { return t.Weekday().String() }),
	// The days the schedule policy walks; a long range is left to OPA, which can cancel it.
	"numbers.range": func(a []Value) (Value, bool) {
		x, ok1 := smallInt(a[0])
		y, ok2 := smallInt(a[1])
		if !ok1 || !ok2 || max(x-y, y-x) > 1<<16 {
			return nil, false
		}
		step := int64(1)
		if x > y {
			step = -1
		}
		out := make([]Value, 0, max(x-y, y-x)+1)
		for i := x; ; i += step {
			out = append(out, i)
			if i == y {
				break
			}
		}
		return NewArray(out...), true
	},
	"internal.member_2": func(a []Value) (Value, bool) {
		switch c := a[1].(type) {
		case *Set:
			return c.Contains(a[0]), true
		case *Array:
			return slices.ContainsFunc(c.elems, func(e Value) bool { return Equal(a[0], e) }), true
		case *Object:
			return slices.ContainsFunc(c.vals, func(e Value) bool { return Equal(a[0], e) }), true
		}
		return false, true
	},
	"internal.member_3": func(a []Value) (Value, bool) {
		switch c := a[2].(type) {
		case *Set:
			return c.Contains(a[0]) && Equal(a[0], a[1]), true
		case *Object, *Array:
			v := dot(c, a[0])
			return v != nil && Equal(v, a[1]), true
		}
		return false, true
	},
	"equal":   func(a []Value) (Value, bool) { return Equal(a[0], a[1]), true },
	"neq":     func(a []Value) (Value, bool) { return !Equal(a[0], a[1]), true },
	"gt":      func(a []Value) (Value, bool) { return Compare(a[0], a[1]) > 0, true },
	"gte":     func(a []Value) (Value, bool) { return Compare(a[0], a[1]) >= 0, true },
	"lt":      func(a []Value) (Value, bool) { return Compare(a[0], a[1]) < 0, true },
	"lte":     func(a []Value) (Value, bool) { return Compare(a[0], a[1]) <= 0, true },
	"is_null": func(a []Value) (Value, bool) { return rank(a[0]) == rankNull, true },
	"is_boolean": func(a []Value) (Value, bool) {
		return rank(a[0]) == rankBool, true
	},
	"is_number": func(a []Value) (Value, bool) { return rank(a[0]) == rankNumber, true },
	"is_string": func(a []Value) (Value, bool) { return rank(a[0]) == rankString, true },
	"is_array":  func(a []Value) (Value, bool) { return rank(a[0]) == rankArray, true },
	"is_object": func(a []Value) (Value, bool) { return rank(a[0]) == rankObject, true },
	"is_set":    func(a []Value) (Value, bool) { return rank(a[0]) == rankSet, true },
	// Beyond the int32 window OPA adds, subtracts and multiplies integers exactly (big.Int),
	// which an int64 matches until it overflows: times in nanoseconds (the schedule policy's
	// next review) stay on the native path.
	"plus": exactArith(func(x, y int64) (int64, bool) {
		r := x + y
		return r, (r > x) == (y > 0)
	}),
	"minus": exactArith(func(x, y int64) (int64, bool) {
		r := x - y
		return r, (r < x) == (y > 0)
	}),
	"mul": exactArith(func(x, y int64) (int64, bool) {
		if x == 0 || y == 0 {
			return 0, true
		}
		r := x * y
		return r, r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64)
	}),
	// OPA divides integers as integers only when the quotient is exact and not 0.
	"div": arith(func(x, y int64) (int64, bool) {
		if x == 0 && y > 0 {
			return 0, true // OPA's float path gives 0 too; a negative divisor gives -0
		}
		if y == 0 || x == 0 || x%y != 0 {
			return 0, false
		}
		return x / y, true
	}),
	"rem": arith(func(x, y int64) (int64, bool) {
		if y == 0 {
			return 0, false
		}
		return x % y, true
	}),
	"format_int": func(a []Value) (Value, bool) {
		i, ok := a[0].(int64)
		if base, isInt := a[1].(int64); !ok || !isInt || base != 10 {
			return nil, false
		}
		return strconv.FormatInt(i, 10), true
	},
	"upper":      stringFunc(strings.ToUpper),
	"lower":      stringFunc(strings.ToLower),
	"trim_space": stringFunc(strings.TrimSpace),
}

// smallInt is OPA's bound for integer arithmetic without big numbers.
func smallInt(v Value) (int64, bool) {
	i, ok := v.(int64)
	return i, ok && -1<<31 <= i && i <= 1<<31-1
}

// arith is an integer operation on operands within smallInt; f reports false where OPA's
// answer is not an int64 (a division by zero, say), which OPA then gives.
func arith(f func(x, y int64) (int64, bool)) native { return intOp(smallInt, f) }

// exactArith is an integer operation OPA computes exactly at any size; f reports false on an
// int64 overflow, and OPA's big integers take over.
func exactArith(f func(x, y int64) (int64, bool)) native { return intOp(anyInt, f) }

func anyInt(v Value) (int64, bool) { i, ok := v.(int64); return i, ok }

// intOp applies f to two integers that operand accepts; anything else goes to OPA.
func intOp(operand func(Value) (int64, bool), f func(x, y int64) (int64, bool)) native {
	return func(a []Value) (Value, bool) {
		x, ok1 := operand(a[0])
		y, ok2 := operand(a[1])
		if !ok1 || !ok2 {
			return nil, false
		}
		r, ok := f(x, y)
		if !ok {
			return nil, false
		}
		return r, true
	}
}

// zonedTime reads a time as OPA's time built-ins take it: ns, [ns] or [ns, zone], with "" and
// "UTC" for UTC and any other zone from the tz database. A layout, the "Local" zone or a zone
// that does not load is left to OPA (and its error).
func zonedTime(f func(time.Time) Value) native {
	var zones sync.Map // name → *time.Location loaded (LoadLocation reads a file each time)
	return func(a []Value) (Value, bool) {
		ns, ok := a[0].(int64)
		loc := time.UTC
		if arr, isArray := a[0].(*Array); isArray {
			if len(arr.elems) == 0 || len(arr.elems) > 2 {
				return nil, false
			}
			if ns, ok = arr.elems[0].(int64); !ok {
				return nil, false
			}
			if len(arr.elems) == 2 {
				zone, isString := arr.elems[1].(string)
				if !isString {
					return nil, false
				}
				if loc, ok = location(&zones, zone); !ok {
					return nil, false
				}
			}
		}
		if !ok {
			return nil, false
		}
		return f(time.Unix(0, ns).In(loc)), true
	}
}

func location(zones *sync.Map, name string) (*time.Location, bool) {
	switch name {
	case "", "UTC":
		return time.UTC, true
	case "Local":
		return nil, false
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), true
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, l)
	return l, true
}

func stringFunc(f func(string) string) native {
	return func(a []Value) (Value, bool) {
		s, ok := a[0].(string)
		if !ok {
			return nil, false
		}
		return f(s), true
	}
}

// elems are an array's or a set's elements.
func elems(v Value) ([]Value, bool) {
	switch x := v.(type) {
	case *Array:
		return x.elems, true
	case *Set:
		return x.elems, true
	}
	return nil, false
}

func sumInts(a []Value) (Value, bool) {
	es, ok := elems(a[0])
	if !ok {
		return nil, false
	}
	var sum int64
	for _, e := range es {
		i, ok := smallInt(e)
		if !ok {
			return nil, false
		}
		sum += i // cannot overflow: fewer than 2^32 elements of at most 2^31
	}
	return sum, true
}

// extremeInt is max (sign 1) or min (sign -1) of integers; empty collections are undefined.
func extremeInt(sign int) native {
	return func(a []Value) (Value, bool) {
		es, ok := elems(a[0])
		if !ok {
			return nil, false
		}
		var best int64
		for i, e := range es {
			x, ok := e.(int64)
			if !ok {
				return nil, false
			}
			if i == 0 || (sign > 0 && x > best) || (sign < 0 && x < best) {
				best = x
			}
		}
		if len(es) == 0 {
			return nil, true
		}
		return best, true
	}
}

func sortValues(a []Value) (Value, bool) {
	switch x := a[0].(type) {
	case *Array:
		out := slices.Clone(x.elems)
		slices.SortStableFunc(out, Compare)
		return &Array{elems: out}, true
	case *Set:
		return &Array{elems: slices.Clone(x.elems)}, true
	}
	return nil, false
}

func arrayConcat(a []Value) (Value, bool) {
	x, ok1 := a[0].(*Array)
	y, ok2 := a[1].(*Array)
	if !ok1 || !ok2 {
		return nil, false
	}
	out := newArray(len(x.elems) + len(y.elems))
	out.elems = append(append(out.elems, x.elems...), y.elems...)
	return out, true
}

// maxConcat leaves long joins to OPA, which bounds the size of what a built-in writes.
const maxConcat = 1 << 20

func concat(a []Value) (Value, bool) {
	sep, ok := a[0].(string)
	es, isColl := elems(a[1])
	if !ok || !isColl {
		return nil, false
	}
	n := len(sep) * max(len(es)-1, 0)
	for _, e := range es {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		n += len(s)
	}
	if n > maxConcat {
		return nil, false
	}
	var b strings.Builder
	b.Grow(n)
	for i, e := range es {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(e.(string))
	}
	return b.String(), true
}

// objectGet looks a key, or a path of keys (an array), up in an object, with a default.
func objectGet(a []Value) (Value, bool) {
	o, ok := a[0].(*Object)
	if !ok {
		return nil, false
	}
	path, isPath := a[1].(*Array)
	if !isPath {
		return cmpOr(o.Get(a[1]), a[2]), true
	}
	var cur Value = o
	for _, k := range path.elems {
		if cur = dot(cur, k); cur == nil {
			break
		}
	}
	return cmpOr(cur, a[2]), true
}

// safeUnixNano is t in nanoseconds, when it has them; OPA's error otherwise.
func safeUnixNano(t time.Time, err error) (Value, bool) {
	if err != nil || t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return nil, false
	}
	return t.UnixNano(), true
}

func cmpOr(v, def Value) Value {
	if v == nil {
		return def
	}
	return v
}

// sprintf formats strings and integers as OPA does (it hands fmt int64s and strings); any other
// argument is left to OPA.
func sprintf(a []Value) (Value, bool) {
	format, ok := a[0].(string)
	args, isArr := a[1].(*Array)
	if !ok || !isArr {
		return nil, false
	}
	out := make([]any, len(args.elems))
	for i, e := range args.elems {
		switch e.(type) {
		case string, int64:
			out[i] = e
		default:
			return nil, false
		}
	}
	return fmt.Sprintf(format, out...), true
}

// builtin calls s's built-in: its native form, or OPA's on the arguments' ast forms.
func (m *machine) builtin(s *stmt, l []Value) (Value, error) {
	// Built-ins never call back into the plan, so one scratch slice serves every call.
	args := m.args[:0]
	if len(s.args) > cap(args) {
		args = make([]Value, 0, len(s.args))
	}
	args = args[:len(s.args)]
	for i, a := range s.args {
		if args[i] = read(a, l); args[i] == nil {
			return nil, nil
		}
	}
	if s.native != nil {
		if v, ok := s.native(args); ok {
			return v, nil
		}
	}
	terms := make([]*ast.Term, len(args))
	for i, a := range args {
		terms[i] = ast.NewTerm(ToAST(a))
	}
	if s.relation {
		return m.relation(s, terms)
	}
	m.out = nil
	bctx := m.builtinContext()
	bctx.Location = s.loc
	err := s.builtin(bctx, terms, m.iter)
	out := m.out
	if err != nil {
		return m.builtinError(err)
	}
	if out == nil {
		return nil, nil
	}
	return FromAST(out.Value)
}

// relation calls a built-in with several outputs (walk): the plan scans the array of all of them.
func (m *machine) relation(s *stmt, terms []*ast.Term) (Value, error) {
	bctx := m.builtinContext()
	bctx.Location = s.loc
	var outs []Value
	err := s.builtin(bctx, terms, func(t *ast.Term) error {
		v, err := FromAST(t.Value)
		outs = append(outs, v)
		return err
	})
	if err != nil {
		return m.builtinError(err)
	}
	return &Array{elems: outs}, nil
}

// builtinError is what an OPA built-in's error makes of the call.
// As topdown without strict built-in errors: the call is undefined, unless the built-in halts
// evaluation.
func (m *machine) builtinError(err error) (Value, error) {
	var halt topdown.Halt
	if m.strict || errors.As(err, &halt) {
		return nil, err
	}
	return nil, nil
}

func isKind(o op, v Value) bool {
	switch o {
	case opIsArray:
		return rank(v) == rankArray
	case opIsObject:
		return rank(v) == rankObject
	default:
		return rank(v) == rankSet
	}
}

func conflict(loc *ast.Location, msg string) error {
	return &topdown.Error{Code: topdown.ConflictErr, Message: msg, Location: loc}
}

// object builds an object literal: with its sorted constant keys shared when it has them,
// else item by item, where a later key replaces an earlier one as the unfused inserts would.
func object(s *stmt, l []Value) (*Object, error) {
	if s.keys != nil {
		o := newObject(s.keys)
		for i, a := range s.args {
			if o.vals[i] = read(a, l); o.vals[i] == nil {
				return nil, errors.New("irvm: undefined object item")
			}
		}
		return o, nil
	}
	obj := emptyObject(len(s.args) / 2)
	for i := 0; i < len(s.args); i += 2 {
		k, v := read(s.args[i], l), read(s.args[i+1], l)
		if k == nil || v == nil {
			return nil, errors.New("irvm: undefined object item")
		}
		obj.Insert(k, v)
	}
	return obj, nil
}
