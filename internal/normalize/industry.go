package normalize

import (
	"fmt"
	"slices"
	"strings"
)

// Industries is the closed vocabulary of industry keys the policy scores, with synonyms that
// map other spellings onto a key. The active policy bundle's data supplies it.
type Industries struct {
	known    map[string]bool
	synonyms map[string]string // by IndustryKey form
}

// NewIndustries builds a vocabulary from keys and synonym → key pairs; keys and synonyms are
// compared in IndustryKey form, so "Industrial Machinery" finds industrial_machinery.
func NewIndustries(keys []string, synonyms map[string]string) *Industries {
	v := &Industries{known: map[string]bool{}, synonyms: map[string]string{}}
	for _, k := range keys {
		v.known[IndustryKey(k)] = true
	}
	for s, k := range synonyms {
		v.synonyms[IndustryKey(s)] = IndustryKey(k)
	}
	return v
}

// Keys lists the vocabulary, sorted.
func (v *Industries) Keys() []string {
	out := make([]string, 0, len(v.known))
	for k := range v.known {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Industry returns the vocabulary key of s: itself in key form, or the key a synonym names.
// "" stays "" (unknown industry). Anything else is refused, naming a few keys.
func (v *Industries) Industry(s string) (string, error) {
	k := IndustryKey(s)
	if k == "" {
		return "", nil
	}
	if v.known[k] {
		return k, nil
	}
	if to, ok := v.synonyms[k]; ok && v.known[to] {
		return to, nil
	}
	keys := v.Keys()
	return "", fmt.Errorf("unknown industry %q; use one of: %s", s, strings.Join(keys, ", "))
}

// IndustryKey is the key form of an industry: lower-case words joined by underscores, so
// "Industrial-Machinery " and "industrial machinery" both read industrial_machinery.
func IndustryKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '/' || r == '&' || r == ',' || r == '.'
	})
	return strings.Join(words, "_")
}
