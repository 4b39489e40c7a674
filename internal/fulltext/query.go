// Package fulltext turns what a user types into a search box into ranked matches of leads, contacts
// and accounts, over the full-text indexes of the migration "search" (PostgreSQL tsvector and
// trigram, SQLite FTS5).
package fulltext

import (
	"strings"
	"unicode"

	"github.com/qualify/qualify/internal/domainerr"
)

// MaxWords bounds the words of one search, and so the size of its SQL.
const MaxWords = 8

// Query is a parsed search: every word must match.
type Query struct {
	words []word
}

// word is one whitespace-separated word of the text, lower-cased (the database folds accents).
type word struct {
	text string
	// tokens are its runs of letters and digits, as the indexes split text into words.
	tokens []string
	// fragment is set when the word has punctuation ("@acme.io"): it is matched as a piece of the
	// text, not as the start of a word.
	fragment bool
}

// Parse reads the search argument. Nil, empty or blank text is no search (nil Query); text with
// no letter or digit is a validation error on field, never a query the engine would reject.
func Parse(field string, text *string) (*Query, error) {
	if text == nil || strings.TrimSpace(*text) == "" {
		return nil, nil
	}
	q := &Query{}
	for _, f := range strings.Fields(strings.ToLower(*text)) {
		w := word{text: f, tokens: tokens(f)}
		if len(w.tokens) == 0 {
			continue // punctuation between words ("acme & co") adds nothing
		}
		w.fragment = len(w.tokens) > 1 || w.tokens[0] != f
		q.words = append(q.words, w)
	}
	switch {
	case len(q.words) == 0:
		return nil, domainerr.Validation(field, "search needs a letter or a digit")
	case len(q.words) > MaxWords:
		return nil, domainerr.Validation(field, "search takes at most 8 words")
	}
	return q, nil
}

// tokens are the runs of letters, numbers and combining marks that hold a letter or a number: a
// lone accent is no word to either engine.
func tokens(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	}) {
		if strings.IndexFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			out = append(out, t)
		}
	}
	return out
}

// allTokens are the tokens of every word, once each.
func (q *Query) allTokens() []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range q.words {
		for _, t := range w.tokens {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// likePattern is %text% with LIKE's wildcards in text escaped by a backslash.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
