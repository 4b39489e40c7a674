package authz_test

import (
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/qualify/qualify/graph"
)

// The generated path test walks the GraphQL schema itself, so a new edge, root field or where
// predicate is covered the day it is added: nobody has to remember to list it.

// pathTargets are the types whose rows the row filter hides.
var pathTargets = map[string]bool{"Lead": true, "Contact": true, "Activity": true, "StageTransition": true}

// pathDepth is how many fields a path has, the root field included (accounts.leads.activities
// is 3); wherePathDepth how many has*With predicates nest.
const (
	pathDepth      = 3
	wherePathDepth = 3
	// pathPage is the page size of every connection of a generated query; every connection of
	// the seeded world holds fewer rows, so totalCount must equal the edges returned.
	pathPage = 25
)

// pathCase is one generated operation.
type pathCase struct {
	name string // accounts.leads.transitions
	op   string // query or subscription
	// root is the root field; nodeType the concrete type of node/nodes.
	root, nodeType string
	// query is the document; node/nodes take $id / $ids.
	query string
	// leadSel is, for a subscription path through the event's lead, the selection under lead.
	leadSel string
}

// whereProbe is one root field filtered by a chain of has*With predicates ending at a target.
type whereProbe struct {
	name   string // contacts.hasLeadsWith
	root   string
	input  string   // the where input type
	chain  []string // has*With field names
	target string   // the where type the chain ends at, e.g. LeadWhereInput
}

func loadSchema() *ast.Schema {
	return graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
}

// element is what a field leads to: the node type of a connection, or the named type.
func element(s *ast.Schema, f *ast.FieldDefinition) (name string, connection bool) {
	name = f.Type.Name()
	def := s.Types[name]
	if def == nil || !strings.HasSuffix(name, "Connection") {
		return name, false
	}
	edges := def.Fields.ForName("edges")
	if edges == nil {
		return name, false
	}
	node := s.Types[edges.Type.Name()].Fields.ForName("node")
	return node.Type.Name(), true
}

func requiredArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// scalars selects every scalar and enum field of def that takes no required argument.
func scalars(s *ast.Schema, def *ast.Definition) string {
	var out []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || requiredArgs(f) {
			continue
		}
		if t := s.Types[f.Type.Name()]; t != nil && (t.Kind == ast.Scalar || t.Kind == ast.Enum) {
			out = append(out, f.Name)
		}
	}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		out = append(out, "__typename")
	}
	return strings.Join(out, " ")
}

type subPath struct{ name, sel string }

// walk returns every path of at most depth fields below type typ that ends at a target type,
// with the selection set that reads it (scalars at every level).
func walk(s *ast.Schema, typ string, depth int) []subPath {
	def := s.Types[typ]
	if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface) {
		return nil
	}
	own := scalars(s, def)
	var out []subPath
	if pathTargets[typ] {
		out = append(out, subPath{sel: own})
	}
	if depth == 0 {
		return out
	}
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || requiredArgs(f) {
			continue
		}
		elem, conn := element(s, f)
		if t := s.Types[elem]; t == nil || t.Kind != ast.Object {
			continue
		}
		for _, sub := range walk(s, elem, depth-1) {
			out = append(out, subPath{name: joinName(f.Name, sub.name), sel: own + " " + fieldSel(f, conn, sub.sel)})
		}
	}
	return out
}

func joinName(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}

func fieldSel(f *ast.FieldDefinition, conn bool, inner string) string {
	if !conn {
		return f.Name + " { " + inner + " }"
	}
	args := ""
	if f.Arguments.ForName("first") != nil {
		args = "(first: " + strconv.Itoa(pathPage) + ")"
	}
	return f.Name + args + " { totalCount pageInfo { hasNextPage } edges { node { " + inner + " } } }"
}

// queryPaths generates a query for every path from a root field of Query to a target type.
// Root fields with required arguments are skipped, except node and nodes, which run once per
// concrete type that implements Node.
func queryPaths(s *ast.Schema) []pathCase {
	var out []pathCase
	for _, f := range s.Query.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		elem, conn := element(s, f)
		def := s.Types[elem]
		if def == nil {
			continue
		}
		switch {
		case f.Name == "node" || f.Name == "nodes":
			arg, decl := "id: $id", "$id: ID!"
			if f.Name == "nodes" {
				arg, decl = "ids: $ids", "$ids: [ID!]!"
			}
			for _, impl := range s.GetPossibleTypes(def) {
				for _, sub := range walk(s, impl.Name, pathDepth-1) {
					out = append(out, pathCase{
						name: f.Name + "<" + impl.Name + ">" + prefixDot(sub.name), op: "query", root: f.Name, nodeType: impl.Name,
						query: "query(" + decl + ") { " + f.Name + "(" + arg + ") { __typename ... on " + impl.Name + " { " + sub.sel + " } } }",
					})
				}
			}
		case requiredArgs(f) || def.Kind != ast.Object:
			continue
		default:
			for _, sub := range walk(s, elem, pathDepth-1) {
				out = append(out, pathCase{name: joinName(f.Name, sub.name), op: "query", root: f.Name,
					query: "{ " + fieldSel(f, conn, sub.sel) + " }"})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func prefixDot(s string) string {
	if s == "" {
		return ""
	}
	return "." + s
}

// subscriptionPaths generates a subscription for every path from a Subscription root field to a
// target type.
func subscriptionPaths(s *ast.Schema) []pathCase {
	var out []pathCase
	for _, f := range s.Subscription.Fields {
		elem, _ := element(s, f)
		def := s.Types[elem]
		for _, ef := range def.Fields {
			felem, conn := element(s, ef)
			if t := s.Types[felem]; t == nil || t.Kind != ast.Object {
				continue
			}
			for _, sub := range walk(s, felem, pathDepth-1) {
				c := pathCase{name: f.Name + "." + joinName(ef.Name, sub.name), op: "subscription", root: f.Name,
					query: "subscription { " + f.Name + " { leadId to " + fieldSel(ef, conn, sub.sel) + " } }"}
				if ef.Name == "lead" {
					c.leadSel = sub.sel
				}
				out = append(out, c)
			}
		}
	}
	return out
}

// whereProbes lists, for every root connection with a where argument, each chain of has*With
// predicates (at most wherePathDepth deep) that ends at a target's where input.
func whereProbes(s *ast.Schema) []whereProbe {
	var out []whereProbe
	var chains func(input string, depth int, chain []string, emit func([]string, string))
	chains = func(input string, depth int, chain []string, emit func([]string, string)) {
		if depth == 0 {
			return
		}
		for _, f := range s.Types[input].Fields {
			if !strings.HasPrefix(f.Name, "has") || !strings.HasSuffix(f.Name, "With") {
				continue
			}
			next := f.Type.Name()
			c := append(append([]string{}, chain...), f.Name)
			if pathTargets[strings.TrimSuffix(next, "WhereInput")] {
				emit(c, next)
			}
			chains(next, depth-1, c, emit)
		}
	}
	for _, f := range s.Query.Fields {
		w := f.Arguments.ForName("where")
		if w == nil || !strings.HasSuffix(w.Type.Name(), "WhereInput") {
			continue
		}
		if _, conn := element(s, f); !conn {
			continue
		}
		chains(w.Type.Name(), wherePathDepth, nil, func(chain []string, target string) {
			out = append(out, whereProbe{name: f.Name + "." + strings.Join(chain, "."), root: f.Name,
				input: w.Type.Name(), chain: chain, target: target})
		})
	}
	return out
}

// value builds the where argument: the chain of has*With around leaf.
func (p whereProbe) value(leaf map[string]any) map[string]any {
	v := leaf
	for i := len(p.chain) - 1; i >= 0; i-- {
		v = map[string]any{p.chain[i]: []any{v}}
	}
	return v
}

func (p whereProbe) query() string {
	return "query($w: " + p.input + ") { " + p.root + "(where: $w, first: " + strconv.Itoa(pathPage) + ") { totalCount edges { node { id } } } }"
}
