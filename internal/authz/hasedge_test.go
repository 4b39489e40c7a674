package authz_test

import (
	"testing"

	"github.com/qualify/qualify/internal/testenv"
)

// has<Edge>: true|false on an edge to a filtered type counts visible rows only: an account whose
// only leads are another team's reads as having none.
func TestHasEdgeBooleansSeeOnlyVisibleRows(t *testing.T) {
	w := seedPathWorld(t, testenv.SQLite(t))
	rep := w.api.As(t, "bdr", "alpha", w.users["bdrA"])
	names := func(where string) map[string]bool {
		var out struct {
			Accounts struct {
				Edges []struct{ Node struct{ Name string } }
			}
		}
		rep.Data(t, `{ accounts(where: `+where+`) { edges { node { name } } } }`, nil, &out)
		got := map[string]bool{}
		for _, e := range out.Accounts.Edges {
			got[e.Node.Name] = true
		}
		return got
	}
	if got := names(`{hasLeads: true}`); got["Betaco"] || !got["Alphaco"] || !got["Sharedco"] {
		t.Errorf("hasLeads: true = %v; want Alphaco and Sharedco, not Betaco (only beta's leads)", got)
	}
	if got := names(`{hasLeads: false}`); !got["Betaco"] || got["Alphaco"] {
		t.Errorf("hasLeads: false = %v; want Betaco (no visible lead), not Alphaco", got)
	}
	if got := names(`{hasContactsWith: {hasActivities: true}}`); got["Betaco"] {
		t.Errorf("hasContactsWith.hasActivities = %v; Betaco's contact is hidden", got)
	}
}
