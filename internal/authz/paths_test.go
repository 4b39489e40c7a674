package authz_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// TestEveryPathHidesWhatTheCallerMayNotSee is generated from the GraphQL schema: every path from
// a root field (node and nodes included) to a Lead, Contact, Activity or StageTransition, every
// has*With predicate chain that ends at one, and every path through a subscription's event, run
// as a rep of each of two teams and as an analyst over HTTP and websocket. No answer may hold a
// hidden row's id, a hidden email or phone, or a totalCount that counts a hidden row.
func TestEveryPathHidesWhatTheCallerMayNotSee(t *testing.T) {
	s := loadSchema()
	queries, subs, probes := queryPaths(s), subscriptionPaths(s), whereProbes(s)
	t.Logf("generated %d query paths, %d subscription paths, %d where-predicate chains", len(queries), len(subs), len(probes))
	if len(queries) < 100 || len(subs) < 10 || len(probes) < 20 {
		t.Fatalf("the schema walk found too little: %d / %d / %d", len(queries), len(subs), len(probes))
	}
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := seedPathWorld(t, db)
		failed := map[string]bool{}
		for _, c := range pathCallers {
			api := w.api.As(t, c.role, c.team, w.users[c.name])
			h := w.hidden[c.name]
			for _, p := range queries {
				for _, vars := range w.pathVars(p, h) {
					r := api.Do(t, p.query, vars)
					if err := h.check(r); err != nil {
						failed[p.name] = true
						t.Errorf("%s as %s %v: %v", p.name, c.name, vars, err)
					}
				}
			}
			for _, p := range probes {
				for _, leaf := range w.probeLeaves(p, h) {
					r := api.Do(t, p.query(), map[string]any{"w": p.value(leaf)})
					if err := h.checkProbe(r, p.root); err != nil {
						failed[p.name] = true
						t.Errorf("where %s %v as %s: %v", p.name, leaf, c.name, err)
					}
				}
			}
		}
		for name, err := range w.runSubscriptions(t, subs) {
			failed[name] = true
			t.Error(err)
		}
		for name, err := range w.runQueriesOverWebsocket(t, queries) {
			failed[name] = true
			t.Error(err)
		}
		t.Logf("%d of %d paths and chains failed", len(failed), len(queries)+len(subs)+len(probes))
	})
}

// pathVars are the variables a path runs with: none, or for node and nodes the ids of its type
// (hidden ones among them).
func (w *pathWorld) pathVars(p pathCase, h *hiddenSet) []map[string]any {
	ids := w.ids[p.nodeType]
	switch p.root {
	case "node":
		var out []map[string]any
		for _, id := range pick(ids, h) {
			out = append(out, map[string]any{"id": id})
		}
		return out
	case "nodes":
		if len(ids) == 0 {
			return nil
		}
		return []map[string]any{{"ids": ids}}
	}
	return []map[string]any{nil}
}

// pick returns the first and last id and every hidden one.
func pick(ids []string, h *hiddenSet) []string {
	if len(ids) == 0 {
		return nil
	}
	out := []string{ids[0]}
	if len(ids) > 1 {
		out = append(out, ids[len(ids)-1])
	}
	for _, id := range ids[1 : len(ids)-1] {
		if h.ids[id] != "" {
			out = append(out, id)
		}
	}
	return out
}

// probeLeaves are the predicates at the end of a chain that match only rows hidden from the
// caller: a hidden row's id, the start of a hidden email, a hidden phone.
func (w *pathWorld) probeLeaves(p whereProbe, h *hiddenSet) []map[string]any {
	typ := strings.TrimSuffix(p.target, "WhereInput")
	var out []map[string]any
	for id, t := range h.ids {
		if t == typ {
			out = append(out, map[string]any{"id": id})
			if vals := w.secrets[id]; len(vals) == 2 {
				out = append(out, map[string]any{"emailHasPrefix": vals[0][:8]}, map[string]any{"phone": vals[1]})
			}
		}
	}
	if len(h.ids) == 0 && (typ == "Lead" || typ == "Contact") { // the analyst: values only
		for _, id := range w.ids[typ] {
			vals := w.secrets[id]
			out = append(out, map[string]any{"emailHasPrefix": vals[0][:8]}, map[string]any{"phoneHasPrefix": vals[1][:6]})
		}
	}
	return out
}

// check is what every answer must satisfy. FORBIDDEN (the role may not run the root field),
// NOT_FOUND (node of a hidden id) and nodes' answer for an id it cannot resolve, the same for a
// hidden id as for one that does not exist, reveal nothing.
func (h *hiddenSet) check(r apitest.Response) error { return h.checkAnswer(r, true) }

// checkEvent checks a subscription event. Its counts are not compared with its edges: the
// event's connections are read while the next stage changes commit, so a count and a page may
// see different moments; the last event of each lead is compared with HTTP instead.
func (h *hiddenSet) checkEvent(r apitest.Response) error { return h.checkAnswer(r, false) }

func (h *hiddenSet) checkAnswer(r apitest.Response, counts bool) error {
	for _, e := range r.Errors {
		if e.Code() != "FORBIDDEN" && e.Code() != "NOT_FOUND" && !strings.HasPrefix(e.Message, "Could not resolve to a node with the global id") {
			return fmt.Errorf("error %s: %s at %v", e.Code(), e.Message, e.Path)
		}
	}
	var data any
	if err := json.Unmarshal(r.Data, &data); err != nil && len(r.Data) > 0 {
		return err
	}
	return h.checkValue(data, "data", counts)
}

func (h *hiddenSet) checkValue(v any, at string, counts bool) error {
	switch x := v.(type) {
	case string:
		if typ := h.ids[x]; typ != "" {
			return fmt.Errorf("%s: hidden %s id %s", at, typ, x)
		}
		for _, s := range h.values {
			if strings.Contains(strings.ToLower(x), strings.ToLower(s)) {
				return fmt.Errorf("%s: hidden value %q", at, s)
			}
		}
	case []any:
		for i, e := range x {
			if err := h.checkValue(e, fmt.Sprintf("%s[%d]", at, i), counts); err != nil {
				return err
			}
		}
	case map[string]any:
		if counts {
			if err := countMatches(x, at); err != nil {
				return err
			}
		}
		for k, e := range x {
			if err := h.checkValue(e, at+"."+k, counts); err != nil {
				return err
			}
		}
	}
	return nil
}

// countMatches says whether a connection's totalCount counts more rows than it returns (each
// page is larger than any connection of the world).
func countMatches(conn map[string]any, at string) error {
	total, ok := conn["totalCount"].(float64)
	edges, ok2 := conn["edges"].([]any)
	if !ok || !ok2 {
		return nil
	}
	if pi, _ := conn["pageInfo"].(map[string]any); pi != nil && pi["hasNextPage"] == true {
		return fmt.Errorf("%s: a page of %d is too small for the world", at, pathPage)
	}
	if int(total) != len(edges) {
		return fmt.Errorf("%s: totalCount %d but %d edges returned", at, int(total), len(edges))
	}
	return nil
}

// checkProbe: a predicate that matches only hidden rows finds nothing (or is refused).
func (h *hiddenSet) checkProbe(r apitest.Response, root string) error {
	for _, e := range r.Errors {
		if e.Code() != "FORBIDDEN" {
			return fmt.Errorf("error %s: %s", e.Code(), e.Message)
		}
		return nil
	}
	var d map[string]struct {
		TotalCount int
		Edges      []struct{ Node struct{ ID string } }
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return err
	}
	if c := d[root]; c.TotalCount != 0 || len(c.Edges) != 0 {
		return fmt.Errorf("matched %d rows (%v)", c.TotalCount, c.Edges)
	}
	return nil
}
