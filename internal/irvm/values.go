package irvm

import (
	"errors"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// dot looks key up in a collection: an object's value, an array's element, a set's member.
func dot(src ast.Value, key *ast.Term) *ast.Term {
	switch x := src.(type) {
	case ast.Object:
		return x.Get(key)
	case *ast.Array:
		n, ok := key.Value.(ast.Number)
		if !ok {
			return nil
		}
		i, ok := n.Int()
		if !ok || i < 0 || i >= x.Len() {
			return nil
		}
		return x.Elem(i)
	case ast.Set:
		if x.Contains(key) {
			return key
		}
	}
	return nil
}

func length(v ast.Value) int {
	switch x := v.(type) {
	case *ast.Array:
		return x.Len()
	case ast.Object:
		return x.Len()
	case ast.Set:
		return x.Len()
	case ast.String:
		return utf8.RuneCountInString(string(x))
	}
	return 0
}

func isKind(o op, v ast.Value) bool {
	switch o {
	case opIsArray:
		_, ok := v.(*ast.Array)
		return ok
	case opIsObject:
		_, ok := v.(ast.Object)
		return ok
	default:
		_, ok := v.(ast.Set)
		return ok
	}
}

func conflict(loc *ast.Location, msg string) error {
	return &topdown.Error{Code: topdown.ConflictErr, Message: msg, Location: loc}
}

// object builds an object literal. ast.NewObject takes the items in one allocation but keeps
// duplicate keys, so keys that are not distinct constants are inserted one by one, where a
// later key replaces an earlier one as the unfused inserts would.
func (m *machine) object(s *stmt, l []*ast.Term) (ast.Object, error) {
	n := len(s.args) / 2
	if !s.distinct {
		obj := ast.NewObjectWithCapacity(n)
		for i := 0; i < len(s.args); i += 2 {
			k, v := read(s.args[i], l), read(s.args[i+1], l)
			if k == nil || v == nil {
				return nil, errors.New("irvm: undefined object item")
			}
			obj.Insert(k, v)
		}
		return obj, nil
	}
	items := m.items[:0]
	for i := 0; i < len(s.args); i += 2 {
		k, v := read(s.args[i], l), read(s.args[i+1], l)
		if k == nil || v == nil {
			return nil, errors.New("irvm: undefined object item")
		}
		items = append(items, [2]*ast.Term{k, v})
	}
	m.items = items[:0]
	return ast.NewObject(items...), nil
}

// arrayBuilder is an array a plan is appending to, element by element (a comprehension): a Go
// slice until it is read, where ast.Array.Append would copy the array header and grow two
// slices on every element. It never leaves the machine: read and final replace it.
type arrayBuilder struct {
	term  ast.Term // the local's term, allocated with the builder
	elems []*ast.Term
}

func (b *arrayBuilder) array() *ast.Array                    { return ast.NewArray(b.elems...) }
func (b *arrayBuilder) Compare(other ast.Value) int          { return b.array().Compare(other) }
func (b *arrayBuilder) Find(path ast.Ref) (ast.Value, error) { return b.array().Find(path) }
func (b *arrayBuilder) Hash() int                            { return b.array().Hash() }
func (b *arrayBuilder) IsGround() bool                       { return b.array().IsGround() }
func (b *arrayBuilder) String() string                       { return b.array().String() }
func (b *arrayBuilder) StringLength() int                    { return b.array().StringLength() }
