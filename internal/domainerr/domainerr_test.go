package domainerr_test

import (
	"testing"

	"github.com/qualify/qualify/internal/domainerr"
)

// Every code the API answers has the HTTP status a client or a load balancer acts on: a
// refusal is 4xx, an outage 503, a timeout 504, and only a bug 500.
func TestHTTPStatus(t *testing.T) {
	for code, want := range map[domainerr.Code]int{
		domainerr.CodeUnauthenticated: 401, domainerr.CodeForbidden: 403, domainerr.CodeValidation: 400,
		domainerr.CodeCostLimit: 400, domainerr.CodeNotFound: 404, domainerr.CodeConflict: 409,
		domainerr.CodeIdempotencyKeyReused: 409, domainerr.CodeRateLimited: 429, domainerr.CodeConcurrencyLimit: 429,
		domainerr.CodeUnavailable: 503, domainerr.CodePolicyUnavailable: 503, domainerr.CodeTimeout: 504,
		domainerr.CodePolicyTimeout: 504, domainerr.CodeInternal: 500, "GRAPHQL_VALIDATION_FAILED": 400,
	} {
		if got := code.HTTPStatus(); got != want {
			t.Errorf("%s: HTTP %d, want %d", code, got, want)
		}
	}
}
