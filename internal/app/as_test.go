package app_test

import (
	"testing"

	"github.com/qualify/qualify/internal/apitest"
)

// as returns api calling as user userID (a GraphQL id) with role and team; see apitest.As.
func as(t *testing.T, api *apitest.Instance, userID, role, team string) *apitest.Instance {
	t.Helper()
	return api.As(t, role, team, userID)
}
