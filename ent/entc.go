//go:build ignore

// Command entc generates the ent client and the GraphQL schema of the ent types (ent.graphql).
package main

import (
	"bytes"
	"log"
	"text/template/parse"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	nullAwarePagination()
	servedFieldsSelectTheirColumn()
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphqls"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithSchemaHook(documentNullsOrder, searchArgument),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "github.com/qualify/qualify/ent",
		Features: []gen.Feature{
			gen.FeatureGlobalID,
			gen.FeatureVersionedMigration,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureIntercept,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
		},
	}, entc.Extensions(ex), entc.TemplateFiles("./ent/template/dialecttx.tmpl", "./ent/template/computedorder.tmpl"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// nullAwarePagination points entgql's generated pagination at internal/keyset for its cursor
// predicates and ORDER BY terms: entgql v0.7.0 compares a cursor's NULL with = and >, so a page
// after a row with a null sort key came back empty, and the two databases put NULL at opposite
// ends. Rewriting these few calls in the template (rather than keeping a fork of it) keeps every
// other line upstream's; a call that is not found any more stops the generation.
func nullAwarePagination() {
	rewrites := []struct{ from, to string }{
		{`"entgo.io/contrib/entgql"`, `"entgo.io/contrib/entgql"` + "\n\t" + `"github.com/qualify/qualify/internal/keyset"`},
		{`entgql.MultiCursorsPredicate(`, `keyset.MultiCursorsPredicate(`},
		{`entgql.CursorsPredicate(`, `keyset.CursorsPredicate(`},
		{`p.order.Field.column, direction) {`, `p.order.Field.column, p.order.Direction) {`},
		{`p.order.Field.toTerm(direction.OrderTermOption())`, `keyset.Term(p.order.Field.column, p.order.Field.toTerm, direction)`},
		{`o.Field.toTerm(direction.OrderTermOption())`, `keyset.Term(o.Field.column, o.Field.toTerm, direction)`},
		{`b.Ident(p.order.Field.column).Pad().WriteString(string(direction))`, `keyset.WriteTerm(b, p.order.Field.column, direction)`},
		{`b.Ident(o.Field.column).Pad().WriteString(string(direction))`, `keyset.WriteTerm(b, o.Field.column, direction)`},
		// A computed order term (the search rank) selects its own value; it is no column to add.
		{`query.ctx.AppendFieldOnce(o.Field.column)`, `keyset.AppendColumn(query.ctx, o.Field.column)`},
	}
	done := make([]int, len(rewrites))
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.TextNode:
			for i, r := range rewrites {
				if c := bytes.Count(n.Text, []byte(r.from)); c > 0 {
					n.Text = bytes.ReplaceAll(n.Text, []byte(r.from), []byte(r.to))
					done[i] += c
				}
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		}
	}
	for _, t := range entgql.PaginationTemplate.Templates() {
		if t.Tree != nil {
			walk(t.Tree.Root)
		}
	}
	for i, r := range rewrites {
		if done[i] == 0 {
			log.Fatalf("entc: entgql's pagination template no longer contains %q; review internal/keyset", r.from)
		}
	}
}

// servedFieldsSelectTheirColumn lets entgql's field collection narrow a query's columns when it
// meets a field graph/ serves from memory (a stage edge skipped in ent/schema's servedFromMemory):
// it selects the column the field reads (ent/served.go) where entgql took any field it does not
// know for one that may read every column, and selected all of them (JSON included) per row.
func servedFieldsSelectTheirColumn() {
	const from = "unknownSeen = true"
	const to = `if c := servedColumn(_q.ctx.Type, field.Name); c != "" {
						if _, ok := fieldSeen[c]; !ok {
							selectedFields = append(selectedFields, c)
							fieldSeen[c] = struct{}{}
						}
					} else {
						unknownSeen = true
					}`
	n := 0
	var walk func(parse.Node)
	walk = func(node parse.Node) {
		switch node := node.(type) {
		case *parse.ListNode:
			if node != nil {
				for _, c := range node.Nodes {
					walk(c)
				}
			}
		case *parse.TextNode:
			if c := bytes.Count(node.Text, []byte(from)); c > 0 {
				node.Text = bytes.ReplaceAll(node.Text, []byte(from), []byte(to))
				n += c
			}
		case *parse.IfNode:
			walk(node.List)
			walk(node.ElseList)
		case *parse.RangeNode:
			walk(node.List)
			walk(node.ElseList)
		case *parse.WithNode:
			walk(node.List)
			walk(node.ElseList)
		}
	}
	for _, t := range entgql.CollectionTemplate.Templates() {
		if t.Tree != nil {
			walk(t.Tree.Root)
		}
	}
	if n != 1 {
		log.Fatalf("entc: entgql's collection template has %d %q, want 1; review ent/served.go", n, from)
	}
}

// documentNullsOrder states in the schema where rows without a value go, the order internal/keyset
// implements on both databases.
func documentNullsOrder(_ *gen.Graph, s *ast.Schema) error {
	d, ok := s.Types["OrderDirection"]
	if !ok {
		log.Fatal("entc: no OrderDirection in the generated schema")
	}
	d.Description = "Possible directions in which to order a list of items when provided an `orderBy` argument. " +
		"A null sorts below every value, on every field and database: first in ASC, last in DESC. " +
		"Rows with equal values are ordered by id; `after`/`before` cursors continue across nulls and ties."
	for _, v := range d.EnumValues {
		switch v.Name {
		case "ASC":
			v.Description = "Ascending: nulls first, then the smallest value."
		case "DESC":
			v.Description = "Descending: the largest value first, nulls last."
		}
	}
	return nil
}

// searchDocs says, per connection, what its search argument matches (internal/search implements it).
var searchDocs = map[string]string{
	"leads": "the lead's first and last name, email, company name and job title, the name and domain of its account, " +
		"and the names, email and title of its contacts",
	"contacts": "the contact's first and last name, email and title",
	"accounts": "the account's name and domain",
}

// searchArgument adds `search: String` to the leads, contacts and accounts connections of Query:
// entgql generates the connection fields, and a hand-written schema cannot add an argument to them.
func searchArgument(_ *gen.Graph, s *ast.Schema) error {
	q, ok := s.Types["Query"]
	if !ok {
		log.Fatal("entc: no Query in the generated schema")
	}
	for name, what := range searchDocs {
		f := q.Fields.ForName(name)
		if f == nil {
			log.Fatalf("entc: no Query.%s in the generated schema", name)
		}
		f.Arguments = append(f.Arguments, &ast.ArgumentDefinition{
			Name: "search",
			Type: ast.NamedType("String", nil),
			Description: "Free text over " + what + ". Each word must match: a word of letters and digits matches " +
				"the start of a word (\"acm\" finds \"Acme GmbH\"), a word with punctuation is a fragment " +
				"(\"@acme.io\", \"acme.io\"; on SQLite a fragment starts at a word boundary). Case and accents are " +
				"ignored. Without orderBy the best matches come first (then by id); with orderBy, search only " +
				"filters. Empty or blank means no search; text of punctuation only, or of more than 8 words, is " +
				"VALIDATION_FAILED (field search). Rows the caller may not see are never found.",
		})
	}
	return nil
}
