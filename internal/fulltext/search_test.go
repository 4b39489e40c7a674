package fulltext_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// crm is a small book of accounts, contacts and leads; ids by name.
type crm struct {
	api   *apitest.Instance
	users map[string]string
	ids   map[string]string
}

func setup(t *testing.T, db *store.DB) *crm {
	api := apitest.Start(t, db)
	c := &crm{api: api, users: map[string]string{}, ids: map[string]string{}}
	c.users["bdr"] = api.User(t, "Bea", "BDR", "emea-bdr")
	c.users["bdr2"] = api.User(t, "Ben", "BDR", "na-bdr")
	create := func(key, mutation string, vars map[string]any) {
		t.Helper()
		var out map[string]struct{ ID string }
		api.Data(t, mutation, vars, &out)
		for _, v := range out {
			c.ids[key] = v.ID
		}
	}
	account := func(key, name, domain string) {
		create(key, `mutation($n: String!, $d: String) { a: createAccount(input: {name: $n, domain: $d}) { id } }`,
			map[string]any{"n": name, "d": domain})
	}
	account("acme", "Acme GmbH", "acme.io")
	account("acmeco", "Acmeco Ltd", "acmeco.com")
	account("globex", "Globex", "globex.example")
	account("mueller", "Müller Maschinenbau", "mueller.de")
	contact := func(key, first, last, email, title, acct string) {
		create(key, `mutation($f: String, $l: String!, $e: String, $t: String, $a: ID) {
			c: createContact(input: {firstName: $f, lastName: $l, email: $e, title: $t, accountID: $a}) { id } }`,
			map[string]any{"f": first, "l": last, "e": email, "t": title, "a": c.ids[acct]})
	}
	contact("c-jane", "Jane", "Doe", "jane@acme.io", "", "acme")
	contact("c-zoe", "Zoë", "Brontë", "zoe@globex.example", "CTO", "globex")
	lead := func(key, first, last, email, company, acct, owner string, contacts ...string) {
		vars := map[string]any{"f": first, "l": last, "e": email, "c": company, "a": nil, "o": nil, "cs": []string{}}
		if acct != "" {
			vars["a"] = c.ids[acct]
		}
		if owner != "" {
			vars["o"] = c.users[owner]
		}
		for _, k := range contacts {
			vars["cs"] = append(vars["cs"].([]string), c.ids[k])
		}
		create(key, `mutation($f: String, $l: String, $e: String, $c: String, $a: ID, $o: ID, $cs: [ID!]) {
			l: createLead(input: {firstName: $f, lastName: $l, email: $e, companyName: $c, source: WEB_FORM,
				accountID: $a, ownerID: $o, contactIDs: $cs}) { id } }`, vars)
	}
	lead("jane", "Jane", "Doe", "jane@acme.io", "Acme GmbH", "acme", "bdr", "c-jane")
	lead("bob", "Bob", "Acmeson", "bob@example.org", "Initech", "", "bdr2")
	lead("carla", "Carla", "Weber", "carla@globex.example", "Globex", "globex", "bdr", "c-zoe")
	lead("dan", "Dan", "Smith", "dan@acmeco.com", "Acmeco Ltd", "acmeco", "bdr2")
	lead("eve", "Ève", "Müller", "eve@mueller.de", "Müller Maschinenbau", "mueller", "")
	return c
}

// page is one connection page: ids in order, total and cursors.
type page struct {
	ids         []string
	total       int
	start, end  string
	next, prev  bool
	errCode     string
	errField    string
	errMessages []string
}

func (c *crm) list(t *testing.T, api *apitest.Instance, field, args string, vars map[string]any) page {
	t.Helper()
	q := fmt.Sprintf(`query($s: String, $after: Cursor, $before: Cursor) { list: %s(search: $s, after: $after, before: $before, %s) {
		totalCount edges { node { id } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }`, field, args)
	r := api.Do(t, q, vars)
	var p page
	if len(r.Errors) > 0 {
		p.errCode = r.Errors[0].Code()
		p.errField, _ = r.Errors[0].Extensions["field"].(string)
		for _, e := range r.Errors {
			p.errMessages = append(p.errMessages, e.Message)
		}
		return p
	}
	var out struct {
		List struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
			PageInfo   struct {
				StartCursor, EndCursor       *string
				HasNextPage, HasPreviousPage bool
			}
		}
	}
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	for _, e := range out.List.Edges {
		p.ids = append(p.ids, c.key(e.Node.ID))
	}
	p.total = out.List.TotalCount
	if out.List.PageInfo.StartCursor != nil {
		p.start, p.end = *out.List.PageInfo.StartCursor, *out.List.PageInfo.EndCursor
	}
	p.next, p.prev = out.List.PageInfo.HasNextPage, out.List.PageInfo.HasPreviousPage
	return p
}

// key names an id by the key it was created under.
func (c *crm) key(id string) string {
	for k, v := range c.ids {
		if v == id {
			return k
		}
	}
	return id
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestSearchMatches(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := setup(t, db)
		cases := []struct {
			name, field, search string
			want                []string
		}{
			{"word prefix", "leads", "acm", []string{"bob", "dan", "jane"}},
			{"prefix of a name, not inside it", "leads", "cme", nil},
			{"two words, each must match", "leads", "jane acm", []string{"jane"}},
			{"word through the account", "leads", "globex", []string{"carla"}},
			{"word through a contact", "leads", "bront", []string{"carla"}},
			{"email fragment", "leads", "@acme.io", []string{"jane"}},
			{"domain of the account", "leads", "acmeco.com", []string{"dan"}},
			{"domain", "accounts", "acme.io", []string{"acme"}},
			{"account prefix", "accounts", "ACME", []string{"acme", "acmeco"}},
			{"case and accents", "leads", "MULLER", []string{"eve"}},
			{"accents in the query", "leads", "évé", []string{"eve"}},
			{"contact accents", "contacts", "zoe bronte", []string{"c-zoe"}},
			{"contact email fragment", "contacts", "jane@acme", []string{"c-jane"}},
			{"contact title", "contacts", "cto", []string{"c-zoe"}},
			{"no match", "leads", "zzz", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := c.list(t, c.api, tc.field, "first: 50", map[string]any{"s": tc.search})
				if p.errCode != "" {
					t.Fatalf("%s(search: %q): %s %v", tc.field, tc.search, p.errCode, p.errMessages)
				}
				if got := sorted(p.ids); !slices.Equal(got, sorted(tc.want)) || p.total != len(tc.want) {
					t.Fatalf("%s(search: %q) = %v (total %d), want %v", tc.field, tc.search, got, p.total, tc.want)
				}
			})
		}
	})
}

// Without orderBy the best match comes first: Acme's own lead names "acme" as a whole word,
// twice; Acmeco and Acmeson only start with it.
func TestSearchRanking(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := setup(t, db)
		p := c.list(t, c.api, "leads", "first: 10", map[string]any{"s": "acme"})
		if len(p.ids) != 3 || p.ids[0] != "jane" {
			t.Fatalf("leads(search: acme) = %v %v, want jane first of 3", p.ids, p.errMessages)
		}
		a := c.list(t, c.api, "accounts", "first: 10", map[string]any{"s": "acme"})
		if !slices.Equal(a.ids, []string{"acme", "acmeco"}) {
			t.Fatalf("accounts(search: acme) = %v, want [acme acmeco]", a.ids)
		}
		// A whole word outranks a prefix seen as often, though the prefix's row is older (ids
		// break ties).
		for _, acc := range []struct{ key, name, domain string }{
			{"hooliganz", "Hooliganz Hoolix", "hooliganz.example"}, {"hooli", "Hooli Inc", "hooli.example"},
		} {
			var out struct{ A struct{ ID string } }
			c.api.Data(t, `mutation($n: String!, $d: String) { a: createAccount(input: {name: $n, domain: $d}) { id } }`,
				map[string]any{"n": acc.name, "d": acc.domain}, &out)
			c.ids[acc.key] = out.A.ID
		}
		a = c.list(t, c.api, "accounts", "first: 10", map[string]any{"s": "hooli"})
		if !slices.Equal(a.ids, []string{"hooli", "hooliganz"}) {
			t.Fatalf("accounts(search: hooli) = %v, want [hooli hooliganz]", a.ids)
		}
	})
}

// Paging one row at a time, forward and backward, visits the same rows in the same order as one
// page, ranked or ordered, with where, and totalCount is the number of matches.
func TestSearchPaging(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := setup(t, db)
		for _, shape := range []struct{ name, args string }{
			{"ranked", ""},
			{"orderBy", "orderBy: [{field: LAST_NAME, direction: DESC}]"},
			{"orderBy and where", `orderBy: [{field: LAST_NAME, direction: ASC}], where: {lastNameNEQ: "Smith"}`},
		} {
			t.Run(shape.name, func(t *testing.T) {
				sep := ", "
				if shape.args == "" {
					sep = ""
				}
				all := c.list(t, c.api, "leads", "first: 10"+sep+shape.args, map[string]any{"s": "acm"})
				if all.errCode != "" || all.total != len(all.ids) || len(all.ids) < 2 {
					t.Fatalf("whole page: %+v", all)
				}
				switch shape.name {
				case "orderBy":
					if !slices.Equal(all.ids, []string{"dan", "jane", "bob"}) {
						t.Fatalf("ordered by last name DESC: %v", all.ids)
					}
				case "orderBy and where":
					if !slices.Equal(all.ids, []string{"bob", "jane"}) {
						t.Fatalf("ordered by last name without Smith: %v", all.ids)
					}
				}
				var fwd []string
				vars := map[string]any{"s": "acm"}
				for i := 0; ; i++ {
					p := c.list(t, c.api, "leads", "first: 1"+sep+shape.args, vars)
					if p.errCode != "" || p.total != all.total || i > 10 {
						t.Fatalf("forward page %d: %+v", i, p)
					}
					fwd = append(fwd, p.ids...)
					if !p.next {
						break
					}
					vars = map[string]any{"s": "acm", "after": p.end}
				}
				if !slices.Equal(fwd, all.ids) {
					t.Fatalf("forward pages %v, one page %v", fwd, all.ids)
				}
				var back []string
				vars = map[string]any{"s": "acm"}
				for i := 0; ; i++ {
					p := c.list(t, c.api, "leads", "last: 1"+sep+shape.args, vars)
					if p.errCode != "" || p.total != all.total || i > 10 {
						t.Fatalf("backward page %d: %+v", i, p)
					}
					back = append(p.ids, back...)
					if !p.prev {
						break
					}
					vars = map[string]any{"s": "acm", "before": p.start}
				}
				if !slices.Equal(back, all.ids) {
					t.Fatalf("backward pages %v, one page %v", back, all.ids)
				}
			})
		}
	})
}

// A BDR finds only the leads the row filter lets them see, and counts only those.
func TestSearchUnderRowFilter(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := setup(t, db)
		bdr := c.api.As(t, "bdr", "emea-bdr", c.users["bdr"])
		p := c.list(t, bdr, "leads", "first: 10", map[string]any{"s": "acm"})
		if !slices.Equal(p.ids, []string{"jane"}) || p.total != 1 {
			t.Fatalf("bdr leads(search: acm) = %v total %d %v, want [jane] 1", p.ids, p.total, p.errMessages)
		}
		bdr2 := c.api.As(t, "bdr", "na-bdr", c.users["bdr2"])
		p = c.list(t, bdr2, "leads", "first: 10", map[string]any{"s": "jane"})
		if len(p.ids) != 0 || p.total != 0 {
			t.Fatalf("other team's bdr leads(search: jane) = %v total %d, want none", p.ids, p.total)
		}
		// Contacts are seen through visible leads: Zoë is a contact of bdr's lead only.
		p = c.list(t, bdr2, "contacts", "first: 10", map[string]any{"s": "zoe"})
		if len(p.ids) != 0 || p.total != 0 {
			t.Fatalf("other team's bdr contacts(search: zoe) = %v total %d, want none", p.ids, p.total)
		}
		p = c.list(t, bdr, "contacts", "first: 10", map[string]any{"s": "zoe"})
		if !slices.Equal(p.ids, []string{"c-zoe"}) {
			t.Fatalf("bdr contacts(search: zoe) = %v %v, want [c-zoe]", p.ids, p.errMessages)
		}
	})
}

// Blank text is no search; text without a letter or digit is VALIDATION_FAILED at field search;
// the operators of either engine in user text are text, never an INTERNAL error.
func TestSearchInput(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := setup(t, db)
		for _, s := range []string{"", "   ", "\t\n"} {
			p := c.list(t, c.api, "leads", "first: 10", map[string]any{"s": s})
			if p.errCode != "" || p.total != 5 {
				t.Fatalf("search %q: %+v, want every lead", s, p)
			}
		}
		for _, s := range []string{"!!!", "@", " & | ", `"*:`, "\u0301", "%", "_", `\`, "<->", `"" ""`} {
			for _, field := range []string{"leads", "contacts", "accounts"} {
				p := c.list(t, c.api, field, "first: 10", map[string]any{"s": s})
				if p.errCode != "VALIDATION_FAILED" || p.errField != "search" {
					t.Fatalf("%s(search: %q): %s field %q %v, want VALIDATION_FAILED at search", field, s, p.errCode, p.errField, p.errMessages)
				}
			}
		}
		hostile := []string{
			`"acme`, `acme"`, `acm*`, `acme:*`, `a:b`, `acme & !globex`, `acme | globex`, `(acme`, `acme)`,
			`NEAR(acme globex)`, `acme OR`, `AND acme`, `NOT acme`, `^acme`, `-acme`, `+acme`, `{doc}: acme`,
			`'); DROP TABLE leads; --`, `a%`, `acme\`, `acme'`, `o'brien`, `a<->b`, `acme:A`, `jane@`,
			`@acme.io%`, `x_y`, `"a" "b"`, `acme.*`, `ac|me`, `ac&me`, `1 2 3 4 5 6 7 8`,
		}
		for _, s := range hostile {
			for _, field := range []string{"leads", "contacts", "accounts"} {
				p := c.list(t, c.api, field, "first: 10", map[string]any{"s": s})
				if p.errCode != "" {
					t.Fatalf("%s(search: %q): %s %v", field, s, p.errCode, p.errMessages)
				}
			}
		}
		// Wildcards of LIKE are text: "a%" is no prefix of everything.
		if p := c.list(t, c.api, "leads", "first: 10", map[string]any{"s": "j%e"}); p.errCode != "" || p.total != 0 {
			t.Fatalf(`leads(search: "j%%e"): %+v, want none`, p)
		}
		p := c.list(t, c.api, "leads", "first: 10", map[string]any{"s": "1 2 3 4 5 6 7 8 9"})
		if p.errCode != "VALIDATION_FAILED" || p.errField != "search" {
			t.Fatalf("nine words: %+v, want VALIDATION_FAILED", p)
		}
	})
}

// An edit is found at once, and the old text no more: the indexes follow every write.
func TestSearchFollowsWrites(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		c := setup(t, db)
		c.api.Data(t, `mutation($id: ID!) { updateAccount(id: $id, input: {name: "Initrode AG", domain: "initrode.example"}) { id } }`,
			map[string]any{"id": c.ids["globex"]}, &struct{}{})
		c.api.Data(t, `mutation($id: ID!) { updateLead(id: $id, input: {lastName: "Lumbergh", clearEmail: true}) { id } }`,
			map[string]any{"id": c.ids["bob"]}, &struct{}{})
		for _, tc := range []struct {
			field, search string
			want          []string
		}{
			{"accounts", "initrode.example", []string{"globex"}},
			{"accounts", "globex", nil},
			{"leads", "initrode", []string{"carla"}},
			{"leads", "lumb", []string{"bob"}},
			{"leads", "acmeson", nil},
			{"leads", "@example.org", nil},
		} {
			p := c.list(t, c.api, tc.field, "first: 10", map[string]any{"s": tc.search})
			if !slices.Equal(sorted(p.ids), sorted(tc.want)) || p.errCode != "" {
				t.Errorf("after the edit %s(search: %q) = %v %v, want %v", tc.field, tc.search, p.ids, p.errMessages, tc.want)
			}
		}
	})
}
