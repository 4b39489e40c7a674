package fulltext

import (
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// The hits of a search are a derived table joined to the queried one: its rows are the matches,
// its rank column what a ranked page orders by (and what its cursors carry).
const (
	hitsAlias  = "search_hits"
	rankColumn = "search_rank"
)

// entity is a searchable table and its indexed document. pgDoc is the very expression the
// migration indexes (qualify_words(pgDoc) and pgDoc gin_trgm_ops), so the planner can
// use the indexes; fts is the SQLite FTS5 table whose rowid is the row's id.
type entity struct {
	table string
	fts   string
	pgDoc string
}

var (
	leadDocs    = entity{"leads", "leads_search", "public.qualify_lead_doc(first_name, last_name, email, company_name, job_title)"}
	contactDocs = entity{"contacts", "contacts_search", "public.qualify_contact_doc(first_name, last_name, email, title)"}
	accountDocs = entity{"accounts", "accounts_search", "public.qualify_account_doc(name, domain)"}
)

// hits is the derived table of the rows of e that match every word, with their rank. Leads also
// match a word through their account and their contacts (related; the rank counts the lead's own
// text only). Each word is an IN over a UNION of id lists, each list from one index: an OR of
// the sources would make PostgreSQL scan the table.
func (q *Query) hits(d string, e entity, related bool) *sql.Selector {
	b := sql.Dialect(d)
	t := b.Table(e.table)
	return b.Select(t.C("id")).
		AppendSelectExprAs(q.rank(d, e), rankColumn).
		From(t).
		Where(sql.P(func(pb *sql.Builder) {
			for i, w := range q.words {
				if i > 0 {
					pb.WriteString(" AND ")
				}
				pb.WriteString(e.table + ".id IN (")
				ids(pb, d, e, w)
				if related {
					pb.WriteString(" UNION ALL SELECT id FROM leads WHERE account_id IN (")
					ids(pb, d, accountDocs, w)
					pb.WriteString(") UNION ALL SELECT lead_id FROM lead_contacts WHERE contact_id IN (")
					ids(pb, d, contactDocs, w)
					pb.WriteString(")")
				}
				pb.WriteString(")")
			}
		})).
		As(hitsAlias)
}

// ids writes a SELECT of the ids of the rows of e whose text matches w.
func ids(b *sql.Builder, d string, e entity, w word) {
	if d == dialect.Postgres {
		b.WriteString("SELECT id FROM " + e.table + " WHERE ")
		if w.fragment {
			// A piece of the text, through the trigram index.
			b.WriteString(e.pgDoc + " LIKE public.qualify_fold(").Arg(likePattern(w.text)).WriteString(")")
			return
		}
		b.WriteString("public.qualify_words(" + e.pgDoc + ") @@ to_tsquery('simple', public.qualify_fold(").
			Arg(w.tokens[0] + ":*").WriteString("))")
		return
	}
	// FTS5 reads a quoted string as a phrase of its words; "…"* makes the last a prefix. The
	// index drops punctuation, so an ASCII fragment is confirmed on the stored text (SQLite's
	// LIKE folds ASCII case only).
	b.WriteString("SELECT rowid FROM " + e.fts + " WHERE " + e.fts + " MATCH ").Arg(phrase(w.text) + "*")
	if w.fragment && isASCII(w.text) {
		b.WriteString(" AND doc LIKE ").Arg(likePattern(w.text)).WriteString(` ESCAPE '\'`)
	}
}

// rank scores a row of e against every token of the search, each as a word prefix or a whole
// word: a whole word matches both, so "acme" ranks Acme above Acmeco. One scoring call, since
// each one recomputes the document. Higher is better; 0 when only related rows matched.
func (q *Query) rank(d string, e entity) sql.Querier {
	toks := q.allTokens()
	return sql.ExprFunc(func(b *sql.Builder) {
		if d == dialect.Postgres {
			terms := make([]string, 0, 2*len(toks))
			for _, t := range toks {
				terms = append(terms, t+":*", t)
			}
			b.WriteString("ts_rank(public.qualify_words(" + e.pgDoc + "), to_tsquery('simple', public.qualify_fold(").
				Arg(strings.Join(terms, " | ")).WriteString(")))::float8")
			return
		}
		terms := make([]string, 0, 2*len(toks))
		for _, t := range toks {
			terms = append(terms, phrase(t)+"*", phrase(t))
		}
		b.WriteString("coalesce((SELECT -bm25(" + e.fts + ") FROM " + e.fts + " WHERE " + e.fts + " MATCH ").
			Arg(strings.Join(terms, " OR ")).WriteString(" AND " + e.fts + ".rowid = " + e.table + ".id), 0.0)")
	})
}

// phrase quotes text as an FTS5 string: inside one, every character but '"' (doubled) is text.
func phrase(text string) string {
	return `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
}

// rankTerm orders by the rank of the joined hits and selects it, for the cursor.
func rankTerm[O ~func(*sql.Selector)](opts ...sql.OrderTermOption) O {
	o := sql.NewOrderTermOptions(opts...)
	return func(s *sql.Selector) {
		col := sql.Dialect(s.Dialect()).Table(hitsAlias).C(rankColumn)
		s.AppendSelect(col)
		s.OrderExprFunc(func(b *sql.Builder) {
			b.WriteString(col)
			if o.Desc {
				b.WriteString(" DESC")
			}
			if o.NullsFirst {
				b.WriteString(" NULLS FIRST")
			} else if o.NullsLast {
				b.WriteString(" NULLS LAST")
			}
		})
	}
}
