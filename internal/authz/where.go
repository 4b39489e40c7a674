package authz

import (
	"reflect"
	"strings"
	"sync"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/predicate"
)

// rowFilters are the rows of each filtered type a scope may see: the same predicates the ent
// interceptors add to every query, so a where input and a query agree on what exists.
type rowFilters struct {
	lead       predicate.Lead
	contact    predicate.Contact
	activity   predicate.Activity
	transition predicate.StageTransition
	// transitionRows is the row shape of the same filter, for the selects of the interceptors
	// (visibility).
	transitionRows predicate.StageTransition
}

// filtersFor returns the row filters of s; ok is false when s sees every row.
func filtersFor(s *Scope) (rowFilters, bool) {
	if s.Principal.IsSystem() || s.RowFilter == RowsAll {
		return rowFilters{}, false
	}
	v := visibilityOf(s)
	return rowFilters{
		lead: v.lead(), contact: v.contact(), activity: v.activity(), transition: v.transition(),
		transitionRows: v.transitionRows(),
	}, true
}

// restrictWhere ANDs the row filter into every Lead, Contact, Activity and StageTransition where
// input inside v (a field's arguments), at any depth: under has*With of any type, and/or/not.
// Without it a predicate such as accounts(where: {hasLeadsWith: {emailHasPrefix: "x"}}) would
// test rows the caller may not see, one probe at a time. has<Edge>: true|false on an edge to a
// filtered type becomes has<Edge>With: {} (negated for false), so it too counts visible rows only.
func (f rowFilters) restrictWhere(v any) {
	f.walk(reflect.ValueOf(v), map[uintptr]bool{})
}

func (f rowFilters) walk(v reflect.Value, seen map[uintptr]bool) {
	if !v.IsValid() || !mayHoldWhere(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			f.walk(v.Elem(), seen)
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		f.restrict(v.Interface())
		if isWhereInput(v.Type()) {
			rewriteHasEdge(v.Elem())
		}
		f.walk(v.Elem(), seen)
	case reflect.Struct:
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() && sf.Name != "Predicates" {
				f.walk(v.Field(i), seen)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			f.walk(v.Index(i), seen)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			f.walk(it.Value(), seen)
		}
	}
}

// restrict adds the row filter to a where input of a filtered type.
func (f rowFilters) restrict(x any) {
	switch w := x.(type) {
	case *ent.LeadWhereInput:
		w.AddPredicates(f.lead)
	case *ent.ContactWhereInput:
		w.AddPredicates(f.contact)
	case *ent.ActivityWhereInput:
		w.AddPredicates(f.activity)
	case *ent.StageTransitionWhereInput:
		w.AddPredicates(f.transition)
	}
}

var filteredWhere = map[reflect.Type]bool{
	reflect.TypeFor[ent.LeadWhereInput]():            true,
	reflect.TypeFor[ent.ContactWhereInput]():         true,
	reflect.TypeFor[ent.ActivityWhereInput]():        true,
	reflect.TypeFor[ent.StageTransitionWhereInput](): true,
}

func isWhereInput(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct &&
		strings.HasSuffix(t.Elem().Name(), "WhereInput") && t.Elem().PkgPath() == reflect.TypeFor[ent.LeadWhereInput]().PkgPath()
}

// rewriteHasEdge turns has<Edge> booleans on edges to filtered types into has<Edge>With, which
// restrictWhere then filters: true means "has a visible one", false "has no visible one".
func rewriteHasEdge(w reflect.Value) {
	t := w.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !strings.HasPrefix(sf.Name, "Has") || sf.Type != reflect.TypeFor[*bool]() {
			continue
		}
		withF, ok := t.FieldByName(sf.Name + "With")
		if !ok || withF.Type.Kind() != reflect.Slice || !filteredWhere[withF.Type.Elem().Elem()] {
			continue
		}
		has := w.Field(i)
		if has.IsNil() {
			continue
		}
		want := has.Elem().Bool()
		has.Set(reflect.Zero(has.Type()))
		anyVisible := reflect.Append(reflect.MakeSlice(withF.Type, 0, 1), reflect.New(withF.Type.Elem().Elem()))
		if want {
			if with := w.FieldByIndex(withF.Index); with.Len() == 0 {
				with.Set(anyVisible)
			}
			continue
		}
		// none visible: and: [{not: {has<Edge>With: [{}]}}]
		inner := reflect.New(t)
		inner.Elem().FieldByIndex(withF.Index).Set(anyVisible)
		outer := reflect.New(t)
		outer.Elem().FieldByName("Not").Set(inner)
		and := w.FieldByName("And")
		and.Set(reflect.Append(and, outer))
	}
}

// mayHoldWhere reports whether a value of type t can contain an ent where input (memoized: most
// argument types cannot, and are skipped without a walk).
func mayHoldWhere(t reflect.Type) bool {
	if v, ok := holdsWhere.Load(t); ok {
		return v.(bool)
	}
	holdsWhere.Store(t, false) // cycles: assume no while looking
	found := false
	switch t.Kind() {
	case reflect.Interface:
		found = true // any, graphql Map values: look inside
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		found = mayHoldWhere(t.Elem())
	case reflect.Struct:
		found = isWhereInput(reflect.PointerTo(t))
		for i := 0; i < t.NumField() && !found; i++ {
			if sf := t.Field(i); sf.IsExported() {
				found = mayHoldWhere(sf.Type)
			}
		}
	}
	holdsWhere.Store(t, found)
	return found
}

var holdsWhere sync.Map // reflect.Type -> bool
