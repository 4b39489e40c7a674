// Package inputlimit refuses GraphQL input the store must never see: text longer than its limit,
// text with NUL or invalid UTF-8, lists and property maps without bounds. Every argument of every
// field is checked against the schema before the operation runs, so the refusal is the same
// VALIDATION_FAILED, with the field path, on SQLite and PostgreSQL alike.
package inputlimit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/qualify/qualify/internal/domainerr"
)

// Limits are the bounds, in bytes of UTF-8 and in items. They are declared here once, by what an
// input is rather than field by field: a new input gets the default of its kind.
type Limits struct {
	// Text is any string input not named below: names, titles, emails, phones, codes. Default 256.
	Text int
	// Filter is a string inside a where input (contains, prefixes, equality). Default 256.
	Filter int
	// FreeText are inputs by name that hold prose: reasons, descriptions, messages. Default 10000.
	FreeText     int
	FreeTextName map[string]bool
	// Document are inputs by name that hold whole files (policy drafts). Default 1 MiB.
	Document     int
	DocumentName map[string]bool
	// Map is the encoded size of a Map input (activity properties). Default 16 KiB.
	Map int
	// List is the most items of any list input. Default 1000.
	List int
}

// Defaults are the limits of a Limits left zero.
var Defaults = Limits{
	Text: 256, Filter: 256, FreeText: 10_000, Document: 1 << 20, Map: 16 << 10, List: 1000,
	FreeTextName: map[string]bool{"reason": true, "description": true, "message": true},
	DocumentName: map[string]bool{"content": true},
}

// Guard is the gqlgen extension.
type Guard struct {
	limits Limits
	schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*Guard)(nil)

// New returns the guard; zero limits take their Defaults.
func New(l Limits) *Guard {
	d := Defaults
	for _, p := range []struct{ v, def *int }{{&l.Text, &d.Text}, {&l.Filter, &d.Filter}, {&l.FreeText, &d.FreeText},
		{&l.Document, &d.Document}, {&l.Map, &d.Map}, {&l.List, &d.List}} {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	if l.FreeTextName == nil {
		l.FreeTextName = d.FreeTextName
	}
	if l.DocumentName == nil {
		l.DocumentName = d.DocumentName
	}
	return &Guard{limits: l}
}

// ExtensionName implements graphql.HandlerExtension.
func (*Guard) ExtensionName() string { return "InputLimit" }

// Validate implements graphql.HandlerExtension.
func (g *Guard) Validate(es graphql.ExecutableSchema) error {
	g.schema = es.Schema()
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (g *Guard) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	c := checker{g: g, vars: op.Variables, seen: map[string]bool{}}
	c.selections(op.Operation.SelectionSet)
	return c.err
}

type checker struct {
	g    *Guard
	vars map[string]any
	seen map[string]bool
	err  *gqlerror.Error
}

func (c *checker) selections(set ast.SelectionSet) {
	for _, sel := range set {
		if c.err != nil {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil {
				args := s.ArgumentMap(c.vars)
				for _, a := range s.Definition.Arguments {
					if v, ok := args[a.Name]; ok {
						c.value(v, a.Type, a.Name, s.Alias+"."+a.Name, false)
					}
				}
			}
			c.selections(s.SelectionSet)
		case *ast.InlineFragment:
			c.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil && !c.seen[s.Name] {
				c.seen[s.Name] = true
				c.selections(s.Definition.SelectionSet)
			}
		}
	}
}

// value checks v, of GraphQL type t, named name, at path; filter says it sits in a where input.
func (c *checker) value(v any, t *ast.Type, name, path string, filter bool) {
	if c.err != nil || v == nil {
		return
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			c.value(v, t.Elem, name, path, filter) // a single value coerced to a list
			return
		}
		if len(list) > c.g.limits.List {
			c.refuse(path, fmt.Sprintf("at most %d items", c.g.limits.List), c.g.limits.List)
			return
		}
		for i, e := range list {
			c.value(e, t.Elem, name, path+"."+strconv.Itoa(i), filter)
		}
		return
	}
	def := c.g.schema.Types[t.NamedType]
	switch {
	case def == nil:
	case def.Kind == ast.InputObject:
		m, _ := v.(map[string]any)
		filter = filter || strings.HasSuffix(def.Name, "WhereInput")
		for _, f := range def.Fields {
			if fv, ok := m[f.Name]; ok {
				c.value(fv, f.Type, f.Name, path+"."+f.Name, filter)
			}
		}
	case def.Name == "Map":
		raw, _ := json.Marshal(v)
		if len(raw) > c.g.limits.Map {
			c.refuse(path, fmt.Sprintf("at most %d bytes encoded", c.g.limits.Map), c.g.limits.Map)
			return
		}
		c.mapStrings(v, path)
	case def.Kind == ast.Scalar:
		if s, ok := v.(string); ok {
			c.text(s, path, c.limit(name, filter))
		}
	}
}

func (c *checker) limit(name string, filter bool) int {
	l := c.g.limits
	switch {
	case l.DocumentName[name]:
		return l.Document
	case l.FreeTextName[name]:
		return l.FreeText
	case filter:
		return l.Filter
	}
	return l.Text
}

func (c *checker) text(s, path string, limit int) {
	switch {
	case len(s) > limit:
		c.refuse(path, fmt.Sprintf("at most %d bytes, got %d", limit, len(s)), limit)
	case !utf8.ValidString(s):
		c.refuse(path, "must be valid UTF-8", limit)
	case strings.ContainsRune(s, 0):
		c.refuse(path, "must not contain NUL characters", limit)
	}
}

// mapStrings checks the keys and string values of a Map input, at any depth.
func (c *checker) mapStrings(v any, path string) {
	switch x := v.(type) {
	case string:
		c.text(x, path, c.g.limits.Text)
	case map[string]any:
		for k, e := range x {
			c.text(k, path+"."+k, c.g.limits.Text)
			c.mapStrings(e, path+"."+k)
		}
	case []any:
		for i, e := range x {
			c.mapStrings(e, path+"."+strconv.Itoa(i))
		}
	}
}

func (c *checker) refuse(path, reason string, limit int) {
	c.err = gqlerror.Errorf("%s: %s", path, reason)
	c.err.Extensions = map[string]any{"code": string(domainerr.CodeValidation), "field": path, "reason": reason, "limit": limit}
}
