package keyset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// connection is a root field returning a Relay connection with an orderBy argument, as the
// schema itself describes it: the test follows the schema, so a new connection or order field
// is paged without editing the test.
type connection struct {
	name   string
	multi  bool // orderBy takes a list
	fields []string
}

// TestEveryOrderPagesEveryRow pages every orderBy field of every root connection, in both
// directions, forward (first/after) and backward (last/before), on data with nulls and ties,
// and compares the rows with the whole list read in one page: none lost, none repeated.
func TestEveryOrderPagesEveryRow(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		seedWithNullsAndTies(t, db)
		api := apitest.Start(t, db, func(c *app.Config) { c.PageMax = 1000 })
		conns := connections(t, api)
		if len(conns) < 5 {
			t.Fatalf("found %d ordered connections in the schema, want the lot", len(conns))
		}
		for _, c := range conns {
			for i, f := range c.fields {
				orders := [][]string{{f, "ASC"}, {f, "DESC"}}
				if c.multi {
					// two keys: the second breaks the first one's ties before the id does
					orders = append(orders, []string{f, "DESC", c.fields[(i+1)%len(c.fields)], "ASC"})
				}
				for _, o := range orders {
					t.Run(c.name+"/"+strings.Join(o, "_"), func(t *testing.T) {
						checkPaging(t, api, c, orderArg(c.multi, o))
					})
				}
			}
		}
	})
}

// TestNullsSortBelowValues: the documented order (OrderDirection), the same on both databases.
func TestNullsSortBelowValues(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		seedWithNullsAndTies(t, db)
		api := apitest.Start(t, db, func(c *app.Config) { c.PageMax = 1000 })
		for _, dir := range []string{"ASC", "DESC"} {
			var out struct {
				Leads struct {
					Edges []struct {
						Node struct{ EstimatedValue *float64 }
					}
				}
			}
			api.Data(t, `query($d: OrderDirection!) { leads(first: 1000, orderBy: [{field: ESTIMATED_VALUE, direction: $d}]) {
				edges { node { estimatedValue } } } }`, map[string]any{"d": dir}, &out)
			var vals []*float64
			for _, e := range out.Leads.Edges {
				vals = append(vals, e.Node.EstimatedValue)
			}
			if dir == "DESC" {
				slices.Reverse(vals)
			}
			// ascending view: nulls, then values that never decrease
			seenValue, nulls := false, 0
			for i, v := range vals {
				switch {
				case v == nil && seenValue:
					t.Fatalf("%s: a null after a value at %d", dir, i)
				case v == nil:
					nulls++
				case seenValue && *v < *vals[i-1]:
					t.Fatalf("%s: %v before %v", dir, *vals[i-1], *v)
				default:
					seenValue = true
				}
			}
			if nulls == 0 || !seenValue {
				t.Fatalf("%s: %d nulls: the data does not exercise the order", dir, nulls)
			}
		}
	})
}

type page struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct{ Node struct{ ID string } }
}

const pageFields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } }`

func checkPaging(t *testing.T, api *apitest.Instance, c connection, order string) {
	t.Helper()
	comparePages(t, func(args string, vars map[string]any) page {
		t.Helper()
		q := fmt.Sprintf(`query($after: Cursor, $before: Cursor) { c: %s(%s, after: $after, before: $before, orderBy: %s) { %s } }`,
			c.name, args, order, pageFields)
		var out struct{ C page }
		api.Data(t, q, vars, &out)
		return out.C
	})
}

// comparePages pages a connection through read (its arguments, and the after and before
// variables) forward and backward, and compares both with the whole list in one page.
func comparePages(t *testing.T, read func(args string, vars map[string]any) page) {
	t.Helper()
	all := read("first: 1000", nil)
	want := ids(all)
	if len(want) != all.TotalCount {
		t.Fatalf("one page holds %d of %d rows", len(want), all.TotalCount)
	}
	if len(want) == 0 {
		t.Skip("no rows")
	}
	size := max(2, len(want)/7)
	var fwd []string
	var after any
	for steps := 0; ; steps++ {
		p := read(fmt.Sprintf("first: %d", size), map[string]any{"after": after})
		fwd = append(fwd, ids(p)...)
		if !p.PageInfo.HasNextPage || steps > len(want) {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	var back []string
	var before any
	for steps := 0; ; steps++ {
		p := read(fmt.Sprintf("last: %d", size), map[string]any{"before": before})
		back = append(ids(p), back...)
		if !p.PageInfo.HasPreviousPage || steps > len(want) {
			break
		}
		before = *p.PageInfo.StartCursor
	}
	if !slices.Equal(fwd, want) {
		t.Errorf("forward by %d: %d rows %v, want %d %v", size, len(fwd), fwd, len(want), want)
	}
	if !slices.Equal(back, want) {
		t.Errorf("backward by %d: %d rows %v, want %d %v", size, len(back), back, len(want), want)
	}
}

func ids(p page) []string {
	out := make([]string, 0, len(p.Edges))
	for _, e := range p.Edges {
		out = append(out, e.Node.ID)
	}
	return out
}

func orderArg(multi bool, o []string) string {
	var terms []string
	for i := 0; i < len(o); i += 2 {
		terms = append(terms, fmt.Sprintf("{field: %s, direction: %s}", o[i], o[i+1]))
	}
	if multi {
		return "[" + strings.Join(terms, ", ") + "]"
	}
	return terms[0]
}

type typeRef struct {
	Kind   string
	Name   *string
	OfType *typeRef
}

func (r *typeRef) named() (name string, list bool) {
	for ; r != nil; r = r.OfType {
		if r.Kind == "LIST" {
			list = true
		}
		if r.Name != nil {
			return *r.Name, list
		}
	}
	return "", list
}

const refFields = `kind name ofType { kind name ofType { kind name ofType { kind name } } }`

// connections reads the ordered root connections and their order fields from introspection.
func connections(t *testing.T, api *apitest.Instance) []connection {
	t.Helper()
	var schema struct {
		Schema struct {
			QueryType struct {
				Fields []struct {
					Name string
					Type typeRef
					Args []struct {
						Name string
						Type typeRef
					}
				}
			}
		} `json:"__schema"`
	}
	api.Data(t, `{ __schema { queryType { fields { name type { `+refFields+` } args { name type { `+refFields+` } } } } } }`, nil, &schema)
	var out []connection
	for _, f := range schema.Schema.QueryType.Fields {
		typ, _ := f.Type.named()
		if !strings.HasSuffix(typ, "Connection") {
			continue
		}
		var c connection
		ok := true
		for _, a := range f.Args {
			switch a.Name {
			case "first", "last", "after", "before", "where":
			case "orderBy":
				input, list := a.Type.named()
				c.multi = list
				c.fields = orderFields(t, api, input)
			default:
				ok = ok && a.Type.Kind != "NON_NULL"
			}
		}
		if ok && len(c.fields) > 0 {
			c.name = f.Name
			out = append(out, c)
		}
	}
	return out
}

func orderFields(t *testing.T, api *apitest.Instance, input string) []string {
	t.Helper()
	var in struct {
		Type struct {
			InputFields []struct {
				Name string
				Type typeRef
			}
		} `json:"__type"`
	}
	api.Data(t, `query($n: String!) { __type(name: $n) { inputFields { name type { `+refFields+` } } } }`, map[string]any{"n": input}, &in)
	for _, f := range in.Type.InputFields {
		if f.Name != "field" {
			continue
		}
		enum, _ := f.Type.named()
		var e struct {
			Type struct{ EnumValues []struct{ Name string } } `json:"__type"`
		}
		api.Data(t, `query($n: String!) { __type(name: $n) { enumValues { name } } }`, map[string]any{"n": enum}, &e)
		var names []string
		for _, v := range e.Type.EnumValues {
			names = append(names, v.Name)
		}
		return names
	}
	return nil
}

// seedWithNullsAndTies writes the demo data set and then gives the nullable order keys of leads
// nulls and ties in runs, so pages start and end on them.
func seedWithNullsAndTies(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 60, Seed: 5, Now: now}); err != nil {
		t.Fatal(err)
	}
	leads, err := db.Client.Lead.Query().Order(lead.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leads {
		u := db.Client.Lead.UpdateOne(l)
		switch i % 4 {
		case 0:
			u.ClearEstimatedValue().ClearConvertedAt().ClearLastActivityAt().ClearGrade()
		case 1:
			u.SetEstimatedValue(5000).SetConvertedAt(now).SetLastActivityAt(now)
		case 2:
			u.SetEstimatedValue(float64(i * 100)).SetLastActivityAt(now.Add(-time.Duration(i) * time.Hour))
		}
		if i%5 == 0 {
			u.ClearOwnerID().ClearAccountID()
		}
		if _, err := u.Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEveryNestedOrderPagesEveryRow does for the connections nested in a node (an account's
// contacts, a lead's transitions and activities, a contact's leads, …) what
// TestEveryOrderPagesEveryRow does for the root ones: every orderBy field, both directions,
// forward and backward, under the parent with the most rows, through node(id).
func TestEveryNestedOrderPagesEveryRow(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		seedWithNullsAndTies(t, db)
		api := apitest.Start(t, db, func(c *app.Config) { c.PageMax = 1000 })
		checked := 0
		for typ, root := range map[string]string{"Account": "accounts", "Contact": "contacts", "Lead": "leads", "User": "users", "Project": "projects"} {
			for _, c := range nestedConnections(t, api, typ) {
				parent, n := busiestParent(t, api, root, c.name)
				if n < 3 {
					t.Logf("%s.%s: at most %d rows under one parent, not paged", typ, c.name, n)
					continue
				}
				checked++
				for i, f := range c.fields {
					orders := [][]string{{f, "ASC"}, {f, "DESC"}}
					if c.multi {
						orders = append(orders, []string{f, "DESC", c.fields[(i+1)%len(c.fields)], "ASC"})
					}
					for _, o := range orders {
						t.Run(typ+"."+c.name+"/"+strings.Join(o, "_"), func(t *testing.T) {
							comparePages(t, func(args string, vars map[string]any) page {
								t.Helper()
								q := fmt.Sprintf(`query($id: ID!, $after: Cursor, $before: Cursor) { node(id: $id) { ... on %s {
									c: %s(%s, after: $after, before: $before, orderBy: %s) { %s } } } }`, typ, c.name, args, orderArg(c.multi, o), pageFields)
								var out struct{ Node struct{ C page } }
								v := map[string]any{"id": parent}
								for k, x := range vars {
									v[k] = x
								}
								api.Data(t, q, v, &out)
								return out.Node.C
							})
						})
					}
				}
			}
		}
		if checked < 4 {
			t.Fatalf("paged %d nested connections, want the lot", checked)
		}
	})
}

// nestedConnections reads the ordered connection fields of an object type from introspection.
func nestedConnections(t *testing.T, api *apitest.Instance, typ string) []connection {
	t.Helper()
	var in struct {
		Type struct {
			Fields []struct {
				Name string
				Type typeRef
				Args []struct {
					Name string
					Type typeRef
				}
			}
		} `json:"__type"`
	}
	api.Data(t, `query($n: String!) { __type(name: $n) { fields { name type { `+refFields+` } args { name type { `+refFields+` } } } } }`, map[string]any{"n": typ}, &in)
	var out []connection
	for _, f := range in.Type.Fields {
		if name, _ := f.Type.named(); !strings.HasSuffix(name, "Connection") {
			continue
		}
		c := connection{name: f.Name}
		for _, a := range f.Args {
			if a.Name == "orderBy" {
				input, list := a.Type.named()
				c.multi, c.fields = list, orderFields(t, api, input)
			}
		}
		if len(c.fields) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// busiestParent is the node of root with the most rows in its connection field.
func busiestParent(t *testing.T, api *apitest.Instance, root, field string) (string, int) {
	t.Helper()
	var out struct {
		R struct {
			Edges []struct {
				Node struct {
					ID string
					C  struct{ TotalCount int }
				}
			}
		}
	}
	api.Data(t, fmt.Sprintf(`{ r: %s(first: 1000) { edges { node { id c: %s(first: 1) { totalCount } } } } }`, root, field), nil, &out)
	id, most := "", 0
	for _, e := range out.R.Edges {
		if e.Node.C.TotalCount > most {
			id, most = e.Node.ID, e.Node.C.TotalCount
		}
	}
	return id, most
}

// TestCursorPagesKeepTheRowFilter pages the leads as a BDR, who sees fewer of them than an
// admin: a page after a cursor holds the caller's rows only (the cursor's OR once escaped the
// row filter and read hidden rows past the cursor).
func TestCursorPagesKeepTheRowFilter(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		seedWithNullsAndTies(t, db)
		admin := apitest.Start(t, db, func(c *app.Config) { c.PageMax = 1000 })
		bdr := admin.As(t, "bdr", "emea-bdr", admin.User(t, "Bea", "BDR", "emea-bdr"))
		var all, mine struct{ Leads struct{ TotalCount int } }
		admin.Data(t, `{ leads { totalCount } }`, nil, &all)
		bdr.Data(t, `{ leads { totalCount } }`, nil, &mine)
		if mine.Leads.TotalCount == 0 || mine.Leads.TotalCount >= all.Leads.TotalCount {
			t.Fatalf("the BDR sees %d of %d leads: the filter is not exercised", mine.Leads.TotalCount, all.Leads.TotalCount)
		}
		for _, o := range []string{`[{field: CREATED_AT, direction: DESC}]`, `[{field: ESTIMATED_VALUE, direction: ASC}]`} {
			checkPaging(t, bdr, connection{name: "leads"}, o)
		}
	})
}
