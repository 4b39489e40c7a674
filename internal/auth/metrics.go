package auth

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/qualify/qualify/internal/domainerr"
)

// MetricsGuard restricts the metrics endpoint to scrapers sending Authorization: Bearer <token>.
// An empty token leaves it open.
func MetricsGuard(token string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if token == "" {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				writeError(w, http.StatusUnauthorized, string(domainerr.CodeUnauthenticated), "metrics need a bearer token", nil)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
