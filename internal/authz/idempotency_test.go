package authz_test

import (
	"testing"

	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// An idempotency key is its caller's: another caller sending the same key creates its own lead
// and never receives the first one; the same caller replaying gets its lead back; the same key
// with another input is IDEMPOTENCY_KEY_REUSED.
func TestIdempotencyKeysAreTheCallers(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		rep := w.as(t, caller{name: "bdr", role: "bdr", team: "emea-bdr"})
		other := w.as(t, caller{name: "bdr2", role: "bdr", team: "na-bdr"})
		create := `mutation($k: String!, $e: String!) { createLead(idempotencyKey: $k,
			input: {lastName: "Idem", email: $e, source: WEB_FORM}) { id email owner { id } } }`
		type out struct {
			CreateLead struct {
				ID    string
				Email *string
			}
		}
		var first, replay, theirs out
		rep.Data(t, create, map[string]any{"k": "webform-1", "e": "first@idem.example"}, &first)
		rep.Data(t, create, map[string]any{"k": "webform-1", "e": "first@idem.example"}, &replay)
		if replay.CreateLead.ID != first.CreateLead.ID {
			t.Errorf("replay by the same caller created lead %s, want %s", replay.CreateLead.ID, first.CreateLead.ID)
		}
		other.Data(t, create, map[string]any{"k": "webform-1", "e": "second@idem.example"}, &theirs)
		if theirs.CreateLead.ID == first.CreateLead.ID || theirs.CreateLead.Email == nil || *theirs.CreateLead.Email != "second@idem.example" {
			t.Errorf("another caller's key returned %+v (first lead %s)", theirs.CreateLead, first.CreateLead.ID)
		}
		e := rep.Fail(t, "IDEMPOTENCY_KEY_REUSED", create, map[string]any{"k": "webform-1", "e": "changed@idem.example"})
		if e.Extensions["field"] != "idempotencyKey" {
			t.Errorf("extensions %v", e.Extensions)
		}
		// An API key is a caller of its own, apart from the user who made it.
		var key struct{ CreateApiKey struct{ Secret string } }
		w.api.Data(t, `mutation { createApiKey(input: {name: "forms", role: BDR, team: "emea-bdr"}) { secret } }`, nil, &key)
		var viaKey out
		w.api.WithAuthorization("Bearer "+key.CreateApiKey.Secret).Data(t, create,
			map[string]any{"k": "webform-1", "e": "third@idem.example"}, &viaKey)
		if viaKey.CreateLead.ID == first.CreateLead.ID || viaKey.CreateLead.ID == theirs.CreateLead.ID {
			t.Errorf("the API key received another caller's lead %s", viaKey.CreateLead.ID)
		}
	})
}
