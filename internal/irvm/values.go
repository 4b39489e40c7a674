package irvm

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Value is a Rego value as the plan evaluator holds it: Null, a bool, an int64 (an integer
// that fits), an ast.Number (any other number, as written), a string, an *Array, an *Object or a
// *Set. A nil Value is undefined. OPA's ast values cost a map and a hash per object and a term
// per element; these cost a slice, which is most of what makes a plan evaluation cheap.
// Values are compared and ordered as OPA orders them (ast.Compare), so built-ins, sets,
// objects and sort see the order topdown sees.
type Value = any

type null struct{}

// Null is Rego's null.
var Null Value = null{}

// Array is a Rego array.
type Array struct{ elems []Value }

// Small arrays and objects come with their elements in one allocation: a plan makes dozens of
// them per evaluation (comprehensions, literals, reasons), and allocations are most of its cost.
type (
	array4 struct {
		a   Array
		buf [4]Value
	}
	object4 struct {
		o   Object
		buf [4]Value
	}
	object8 struct {
		o   Object
		buf [8]Value
	}
	set4 struct {
		s   Set
		buf [4]Value
	}
)

// newSet returns an empty set with room for n elements.
func newSet(n int) *Set {
	if n <= 4 {
		x := &set4{}
		x.s.elems = x.buf[:0:4]
		return &x.s
	}
	return &Set{elems: make([]Value, 0, n)}
}

// newArray returns an empty array with room for n elements.
func newArray(n int) *Array {
	if n <= 4 {
		x := &array4{}
		x.a.elems = x.buf[:0:4]
		return &x.a
	}
	return &Array{elems: make([]Value, 0, n)}
}

// keyList is the sorted string keys of objects of one shape (a Shape, an object literal), in
// both forms an Object keeps.
type keyList struct {
	keys []Value
	strs []string
}

func newKeyList(sorted []string) *keyList {
	kl := &keyList{keys: make([]Value, len(sorted)), strs: sorted}
	for i, k := range sorted {
		kl.keys[i] = k
	}
	return kl
}

// newObject returns an object of the keys of kl, which it shares, with their values to be set.
func newObject(kl *keyList) *Object {
	var o *Object
	switch n := len(kl.keys); {
	case n <= 4:
		x := &object4{}
		x.o.vals, o = x.buf[:n:n], &x.o
	case n <= 8:
		x := &object8{}
		x.o.vals, o = x.buf[:n:n], &x.o
	default:
		o = &Object{vals: make([]Value, n)}
	}
	o.keys, o.strs, o.shared = kl.keys, kl.strs, true
	return o
}

// NewArray returns an array of elems, which it keeps.
func NewArray(elems ...Value) *Array { return &Array{elems: elems} }

// Len is the number of elements.
func (a *Array) Len() int { return len(a.elems) }

// Elem is the i-th element.
func (a *Array) Elem(i int) Value { return a.elems[i] }

// Object is a Rego object. Its keys are kept sorted in OPA's order, which is the order a scan
// visits them in, and looked up by binary search; objects of one shape share their keys.
type Object struct {
	keys   []Value
	strs   []string // keys as strings, when mixed is false: lookups by string compare no types
	vals   []Value
	mixed  bool // a key is not a string
	shared bool // keys belong to a shape or a plan literal: copy them before an insert
}

// emptyObject returns an empty object with room for n items.
func emptyObject(n int) *Object {
	return &Object{keys: make([]Value, 0, n), vals: make([]Value, 0, n)}
}

// Len is the number of items.
func (o *Object) Len() int { return len(o.keys) }

// Item is the i-th item in key order.
func (o *Object) Item(i int) (k, v Value) { return o.keys[i], o.vals[i] }

// find is the position of k among the keys, or where it would be inserted.
func (o *Object) find(k Value) (int, bool) {
	if s, ok := k.(string); ok && !o.mixed {
		return slices.BinarySearch(o.strs, s)
	}
	i := sort.Search(len(o.keys), func(i int) bool { return Compare(o.keys[i], k) >= 0 })
	return i, i < len(o.keys) && Compare(o.keys[i], k) == 0
}

// Get is the value of k, or nil.
func (o *Object) Get(k Value) Value {
	if s, ok := k.(string); ok && !o.mixed && len(o.strs) <= 16 {
		// Most objects are small and keyed by strings: equality, which compares lengths first,
		// beats ordering them.
		for i, ks := range o.strs {
			if ks == s {
				return o.vals[i]
			}
		}
		return nil
	}
	if i, ok := o.find(k); ok {
		return o.vals[i]
	}
	return nil
}

// Insert sets k to v, replacing the value of an equal key.
func (o *Object) Insert(k, v Value) {
	i, ok := o.find(k)
	if ok {
		o.vals[i] = v
		return
	}
	if o.shared {
		// Room for a few more: an object that grows after its literal part grows again.
		o.keys, o.strs, o.shared = slices.Grow(slices.Clone(o.keys), 4), slices.Grow(slices.Clone(o.strs), 4), false
		o.vals = slices.Grow(o.vals, 4)
	}
	o.keys, o.vals = slices.Insert(o.keys, i, k), slices.Insert(o.vals, i, v)
	if s, ok := k.(string); ok && !o.mixed {
		o.strs = slices.Insert(o.strs, i, s)
	} else {
		o.mixed, o.strs = true, nil
	}
}

// Shape makes objects with a fixed set of string keys, given their values in the declared
// order: the keys are sorted once, and every object of the shape shares them.
type Shape struct {
	kl  *keyList
	pos []int // pos[i] is the sorted position of declared key i
}

// NewShape returns the shape of objects with the given distinct keys.
func NewShape(keys ...string) *Shape {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	s := &Shape{kl: newKeyList(sorted), pos: make([]int, len(keys))}
	for i, k := range keys {
		s.pos[i] = slices.Index(sorted, k)
	}
	return s
}

// Object returns an object of the shape; vals follow the declared keys, and a nil value leaves
// its key out.
func (s *Shape) Object(vals ...Value) *Object {
	o := newObject(s.kl)
	s.Fill(o, vals...)
	return o
}

// Objects returns n objects of the shape for Fill, in two allocations: an array of many
// objects (activities, contacts) costs no more than one of them.
func (s *Shape) Objects(n int) []Object {
	k := len(s.kl.keys)
	objs, vals := make([]Object, n), make([]Value, n*k)
	for i := range objs {
		objs[i].vals = vals[i*k : (i+1)*k : (i+1)*k]
	}
	return objs
}

// Fill sets the values of o, one of Objects or a new object, as Object does.
func (s *Shape) Fill(o *Object, vals ...Value) {
	o.keys, o.strs, o.shared = s.kl.keys, s.kl.strs, true
	absent := false
	for i, v := range vals {
		o.vals[s.pos[i]] = v
		absent = absent || v == nil
	}
	if absent {
		keys, strs := make([]Value, 0, len(o.keys)), make([]string, 0, len(o.keys))
		kept := o.vals[:0]
		for i, v := range o.vals {
			if v != nil {
				keys, strs, kept = append(keys, o.keys[i]), append(strs, o.strs[i]), append(kept, v)
			}
		}
		o.keys, o.strs, o.vals, o.shared = keys, strs, kept, false
	}
}

// Set is a Rego set; its elements are kept sorted in OPA's order.
type Set struct{ elems []Value }

// Len is the number of elements.
func (s *Set) Len() int { return len(s.elems) }

// Elem is the i-th element in order.
func (s *Set) Elem(i int) Value { return s.elems[i] }

func (s *Set) find(v Value) (int, bool) {
	i := sort.Search(len(s.elems), func(i int) bool { return Compare(s.elems[i], v) >= 0 })
	return i, i < len(s.elems) && Compare(s.elems[i], v) == 0
}

// Contains says whether v is an element.
func (s *Set) Contains(v Value) bool { _, ok := s.find(v); return ok }

// Add adds v unless an equal element is there.
func (s *Set) Add(v Value) {
	if i, ok := s.find(v); !ok {
		s.elems = slices.Insert(s.elems, i, v)
	}
}

// The order of value types, as ast.Compare has it.
const (
	rankNull = iota
	rankBool
	rankNumber
	rankString
	rankArray = iota + 3
	rankObject
	rankSet
)

func rank(v Value) int {
	switch v.(type) {
	case null:
		return rankNull
	case bool:
		return rankBool
	case int64, ast.Number:
		return rankNumber
	case string:
		return rankString
	case *Array:
		return rankArray
	case *Object:
		return rankObject
	case *Set:
		return rankSet
	}
	panic(fmt.Sprintf("irvm: not a value: %T", v))
}

// Compare orders two values as ast.Compare orders their ast forms.
func Compare(a, b Value) int {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch x := a.(type) {
	case null:
		return 0
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int64, ast.Number:
		return ast.NumberCompare(number(a), number(b))
	case *Array:
		return slices.CompareFunc(x.elems, b.(*Array).elems, Compare)
	case *Object:
		y := b.(*Object)
		if len(x.keys) == len(y.keys) && len(x.keys) > 0 && &x.keys[0] == &y.keys[0] {
			// One shape: the keys are the same, the values decide.
			return slices.CompareFunc(x.vals, y.vals, Compare)
		}
		for i := range min(len(x.keys), len(y.keys)) {
			if c := Compare(x.keys[i], y.keys[i]); c != 0 {
				return c
			}
			if c := Compare(x.vals[i], y.vals[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(x.keys), len(y.keys))
	case *Set:
		return slices.CompareFunc(x.elems, b.(*Set).elems, Compare)
	}
	panic("unreachable")
}

// Equal says whether two values are equal in Rego.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	}
	return Compare(a, b) == 0
}

func number(v Value) ast.Number {
	if i, ok := v.(int64); ok {
		return ast.Number(strconv.FormatInt(i, 10))
	}
	return v.(ast.Number)
}

// Number converts an ast.Number, keeping integers written as such as int64.
func Number(n ast.Number) Value {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && strconv.FormatInt(i, 10) == string(n) {
		return i
	}
	return n
}

// FromAST converts a ground ast value.
func FromAST(v ast.Value) (Value, error) {
	switch x := v.(type) {
	case ast.Null:
		return Null, nil
	case ast.Boolean:
		return bool(x), nil
	case ast.Number:
		return Number(x), nil
	case ast.String:
		return string(x), nil
	case *ast.Array:
		out := make([]Value, x.Len())
		for i := range out {
			e, err := FromAST(x.Elem(i).Value)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return &Array{elems: out}, nil
	case ast.Object:
		o := emptyObject(x.Len())
		err := x.Iter(func(k, v *ast.Term) error {
			kv, err := FromAST(k.Value)
			if err != nil {
				return err
			}
			vv, err := FromAST(v.Value)
			if err != nil {
				return err
			}
			o.Insert(kv, vv)
			return nil
		})
		return o, err
	case ast.Set:
		s := newSet(x.Len())
		err := x.Iter(func(e *ast.Term) error {
			ev, err := FromAST(e.Value)
			if err == nil {
				s.Add(ev)
			}
			return err
		})
		return s, err
	}
	return nil, fmt.Errorf("irvm: %s is not a ground value", ast.ValueName(v))
}

// ToAST converts a value to its ast form.
func ToAST(v Value) ast.Value {
	switch x := v.(type) {
	case null:
		return ast.InternedNullValue
	case bool:
		return ast.Boolean(x)
	case int64:
		return ast.Number(strconv.FormatInt(x, 10))
	case ast.Number:
		return x
	case string:
		return ast.String(x)
	case *Array:
		terms := make([]*ast.Term, len(x.elems))
		for i, e := range x.elems {
			terms[i] = ast.NewTerm(ToAST(e))
		}
		return ast.NewArray(terms...)
	case *Object:
		items := make([][2]*ast.Term, len(x.keys))
		for i := range x.keys {
			items[i] = [2]*ast.Term{ast.NewTerm(ToAST(x.keys[i])), ast.NewTerm(ToAST(x.vals[i]))}
		}
		return ast.NewObject(items...)
	case *Set:
		terms := make([]*ast.Term, len(x.elems))
		for i, e := range x.elems {
			terms[i] = ast.NewTerm(ToAST(e))
		}
		return ast.NewSet(terms...)
	}
	panic(fmt.Sprintf("irvm: not a value: %T", v))
}

func length(v Value) (int, bool) {
	switch x := v.(type) {
	case *Array:
		return len(x.elems), true
	case *Object:
		return len(x.keys), true
	case *Set:
		return len(x.elems), true
	case string:
		return utf8.RuneCountInString(x), true
	}
	return 0, false
}

// dot looks key up in a collection: an object's value, an array's element, a set's member.
func dot(src, key Value) Value {
	switch x := src.(type) {
	case *Object:
		return x.Get(key)
	case *Array:
		i, ok := key.(int64)
		if n, isNum := key.(ast.Number); isNum {
			i, ok = n.Int64() // as OPA's Array.Get, which reads "1.0" as 1
		}
		if ok && i >= 0 && i < int64(len(x.elems)) {
			return x.elems[i]
		}
	case *Set:
		if x.Contains(key) {
			return key
		}
	}
	return nil
}
