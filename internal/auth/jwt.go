package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qualify/qualify/internal/principal"
)

// Claims are what a Qualify token carries besides the registered claims: the caller's role and
// team. The subject is the user's id ("12"), or any other name for a caller that is no user.
type Claims struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
	Team string `json:"team,omitempty"`
}

// roles are the roles a credential may carry (principal.System is never one).
var roles = map[string]bool{"marketing": true, "bdr": true, "ae": true, "revops": true, "analyst": true, "admin": true}

// verifyJWT checks the signature (HS256 with the secret; RS256/ES256 with the JWKS), exp (required),
// nbf, iss and aud, and maps the claims to a principal, which is good until exp.
func (a *Authenticator) verifyJWT(token string) (principal.Principal, time.Time, error) {
	var methods []string
	if len(a.cfg.Secret) > 0 {
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if a.jwks != nil {
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	if len(methods) == 0 {
		return principal.Principal{}, time.Time{}, unauthenticated("bearer tokens are not accepted by this server; use an API key")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(a.cfg.Leeway),
		jwt.WithTimeFunc(a.now),
	}
	if a.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(a.cfg.Issuer))
	}
	if a.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(a.cfg.Audience))
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, a.keyFor, opts...)
	if err != nil {
		return principal.Principal{}, time.Time{}, unauthenticated("invalid token: %s", jwtReason(err))
	}
	p, err := claimsPrincipal(&c)
	return p, c.ExpiresAt.Time, err
}

func (a *Authenticator) keyFor(t *jwt.Token) (any, error) {
	if t.Method == jwt.SigningMethodHS256 {
		return a.cfg.Secret, nil
	}
	return a.jwks.Keyfunc(t)
}

func claimsPrincipal(c *Claims) (principal.Principal, error) {
	role := strings.ToLower(c.Role)
	if !roles[role] {
		return principal.Principal{}, unauthenticated("invalid token: unknown role %q", truncate(c.Role, 32))
	}
	p := principal.Principal{Role: role, Team: c.Team, Via: "jwt", Subject: "jwt:" + truncate(c.Subject, 64) + "/" + role + "/" + truncate(c.Team, 64)}
	if id, err := strconv.Atoi(strings.TrimPrefix(c.Subject, "user:")); err == nil && id > 0 {
		p.UserID = id
		p.Subject = "user:" + strconv.Itoa(id)
	}
	return p, nil
}

// jwtReason names what was wrong with a token in words safe to return.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "signature not verifiable with the accepted algorithms and keys"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim is missing"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	default:
		return "rejected"
	}
}

// Mint signs an HS256 token for a role and team, as user id uid when uid > 0. For development
// mode and tests; production tokens come from the identity provider.
func Mint(secret []byte, issuer, audience, role, team string, uid int, ttl time.Duration) (string, error) {
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "service",
			Issuer:    issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Second)),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: role,
		Team: team,
	}
	if uid > 0 {
		c.Subject = strconv.Itoa(uid)
	}
	if audience != "" {
		c.Audience = jwt.ClaimStrings{audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

// writeError answers with a GraphQL-shaped error body outside gqlgen.
func writeError(w http.ResponseWriter, status int, code, msg string, ext map[string]any) {
	e := map[string]any{"code": code}
	for k, v := range ext {
		e[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": e}},
	})
}
