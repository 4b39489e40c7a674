package cost

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/qualify/qualify/internal/domainerr"
)

// walker computes the cost of fields: the rows a field may return times (1 + the cost of what
// is selected under each row). A connection returns first/last rows (the page default without
// them), nodes(ids:) one row per id, a field of any other type one row; scalars cost nothing.
type walker struct {
	cfg       *Config
	vars      map[string]any
	fragments map[string]bool // fragment spreads being expanded (cycles are refused by validation)
	err       *gqlerror.Error
}

func (w *walker) field(f *ast.Field) int {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	children := fields(f.SelectionSet, w.fragments, nil)
	if len(children) == 0 {
		return 0 // a scalar or enum
	}
	rows, inner := 1, children
	if strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		rows, inner = w.page(f), connectionRows(children, w.fragments)
	} else if f.Name == "nodes" {
		rows = w.ids(f)
	}
	sum := 1
	for _, c := range inner {
		sum = saturatingAdd(sum, w.field(c))
	}
	if rows > 0 && sum > (1<<40)/rows {
		return 1 << 40
	}
	return rows * sum
}

// connectionRows are the fields selected on each row of a connection: under edges { node { … } }
// (and nodes, when a connection has them); totalCount and pageInfo cost one row each.
func connectionRows(children []*ast.Field, seen map[string]bool) []*ast.Field {
	var out []*ast.Field
	for _, c := range children {
		switch c.Name {
		case "edges":
			for _, e := range fields(c.SelectionSet, seen, nil) {
				if e.Name == "node" {
					out = append(out, fields(e.SelectionSet, seen, nil)...)
				}
			}
		case "nodes":
			out = append(out, fields(c.SelectionSet, seen, nil)...)
		}
	}
	return out
}

func (w *walker) page(f *ast.Field) int {
	args := f.ArgumentMap(w.vars)
	n := -1
	for _, name := range []string{"first", "last"} {
		if v, ok := asInt(args[name]); ok && v > n {
			n = v
		}
	}
	if n < 0 {
		return w.cfg.PageDefault
	}
	return n
}

// ids counts nodes(ids:) and refuses more than a page.
func (w *walker) ids(f *ast.Field) int {
	list, _ := f.ArgumentMap(w.vars)["ids"].([]any)
	if len(list) > w.cfg.PageMax && w.err == nil {
		w.err = gqlerror.Errorf("nodes takes at most %d ids, got %d", w.cfg.PageMax, len(list))
		w.err.Extensions = map[string]any{"code": string(domainerr.CodeValidation), "field": f.Alias + ".ids",
			"reason": fmt.Sprintf("at most %d ids", w.cfg.PageMax), "limit": w.cfg.PageMax}
	}
	return len(list)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case interface{ Int64() (int64, error) }:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

// fields flattens a selection set: fragments spread and inline fragments contribute their
// fields; each alias is a field of its own.
func fields(set ast.SelectionSet, seen map[string]bool, _ *ast.QueryDocument) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, fields(s.SelectionSet, seen, nil)...)
		case *ast.FragmentSpread:
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			out = append(out, fields(s.Definition.SelectionSet, seen, nil)...)
			delete(seen, s.Name)
		}
	}
	return out
}
