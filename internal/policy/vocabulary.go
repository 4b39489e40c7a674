package policy

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/qualify/qualify/internal/normalize"
)

// QueryFit reads the fit knobs, whose industries are the closed vocabulary input is held to.
const QueryFit = "data.qualify.config.fit"

// Industries returns the revision's industry vocabulary: the industries fit scores, the other
// known ones (no points), the excluded ones, and the synonyms mapped onto them. Input is
// normalized against it so that what is stored is what the policy keys on.
func (r *Revision) Industries() *normalize.Industries { return r.industries }

// Industries is the active revision's vocabulary; nil before the first revision is active.
func (e *Engine) Industries() *normalize.Industries {
	if r := e.Active(); r != nil {
		return r.industries
	}
	return nil
}

// readIndustries reads the vocabulary from data.qualify.config.fit. A bundle without fit
// knobs has an empty vocabulary: every industry but "" is then refused.
func readIndustries(ctx context.Context, c *ast.Compiler, store storage.Store) (*normalize.Industries, []Problem) {
	rs, err := rego.New(rego.Query(QueryFit), rego.Compiler(c), rego.Store(store)).Eval(ctx)
	if err != nil {
		return nil, problemsOf(err)
	}
	var fit struct {
		Industries map[string]any    `json:"industries"`
		Other      []string          `json:"other_industries"`
		Excluded   []string          `json:"excluded_industries"`
		Synonyms   map[string]string `json:"industry_synonyms"`
	}
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		raw, err := json.Marshal(rs[0].Expressions[0].Value)
		if err == nil {
			err = json.Unmarshal(raw, &fit)
		}
		if err != nil {
			return nil, []Problem{{Message: QueryFit + ": " + err.Error()}}
		}
	}
	keys := slices.Concat(fit.Other, fit.Excluded)
	for k := range fit.Industries {
		keys = append(keys, k)
	}
	return normalize.NewIndustries(keys, fit.Synonyms), nil
}
