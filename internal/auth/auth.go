// Package auth authenticates API callers: JWT bearer tokens (HS256 with a shared secret, RS256 and
// ES256 against a JWKS URL) and hashed, revocable API keys, and puts the resulting principal into
// the request's context for access control (internal/authz).
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/MicahParks/keyfunc/v3"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

// Config says which credentials are accepted. With neither Secret nor JWKSURL, only API keys are.
type Config struct {
	// Secret verifies HS256 tokens. At least 32 bytes when set.
	Secret []byte
	// JWKSURL is fetched (and refreshed) for the public keys of RS256 and ES256 tokens.
	JWKSURL string
	// Issuer and Audience, when set, must match the token's iss and aud.
	Issuer   string
	Audience string
	// Leeway tolerates clock skew on exp and nbf. Default 30 s.
	Leeway time.Duration
	// UserCacheTTL is how long the stored state of a credential's user (active, role, team) is
	// trusted before it is read again. Default DefaultUserCacheTTL.
	UserCacheTTL time.Duration
}

// UnauthenticatedError is a missing or unusable credential.
type UnauthenticatedError = domainerr.UnauthenticatedError

func unauthenticated(format string, args ...any) error {
	return &UnauthenticatedError{Reason: fmt.Sprintf(format, args...)}
}

// ErrNoCredentials is returned by Authenticate for an empty credential.
var ErrNoCredentials = &UnauthenticatedError{Reason: "no credentials: send Authorization: Bearer <token or API key>"}

// Authenticator turns credentials into principals.
type Authenticator struct {
	cfg  Config
	jwks keyfunc.Keyfunc // nil without a JWKS URL
	keys *Keys
	live *liveUsers
	log  *slog.Logger
	now  func() time.Time

	// tokens holds the principals of verified tokens until their exp: a signature check per
	// request was a twentieth of a small read's CPU. The user is still re-checked (live). A
	// token signed by a key the JWKS later drops stays good until its exp, as a token does that
	// a client holds.
	tokens   credentialCache[principal.Principal]
	verified atomic.Int64 // signature checks done, for tests
}

// New builds an Authenticator. With a JWKS URL it fetches the key set now (a failure is logged and
// retried in the background until ctx ends) and refreshes it when an unknown key id shows up.
func New(ctx context.Context, client *ent.Client, cfg Config, log *slog.Logger) (*Authenticator, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if len(cfg.Secret) > 0 && len(cfg.Secret) < 32 {
		return nil, errors.New("auth: the JWT secret must be at least 32 bytes")
	}
	a := &Authenticator{cfg: cfg, keys: NewKeys(client), live: newLiveUsers(client, cfg.UserCacheTTL), log: log, now: time.Now}
	a.keys.ttl = a.live.ttl // a key revoked on another replica is refused within the user cache's TTL
	if cfg.JWKSURL != "" {
		kf, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS %s: %w", cfg.JWKSURL, err)
		}
		a.jwks = kf
	}
	return a, nil
}

// Keys is the API-key store the Authenticator checks against.
func (a *Authenticator) Keys() *Keys { return a.keys }

// Authenticate checks one credential: an API key (qk_…) or a JWT, with or without the "Bearer "
// prefix. Every refusal is an *UnauthenticatedError.
func (a *Authenticator) Authenticate(ctx context.Context, credential string) (principal.Principal, error) {
	credential = strings.TrimSpace(credential)
	if scheme, rest, ok := strings.Cut(credential, " "); ok {
		if !strings.EqualFold(scheme, "Bearer") {
			return principal.Principal{}, unauthenticated("unsupported authorization scheme %q", truncate(scheme, 16))
		}
		credential = strings.TrimSpace(rest)
	}
	if credential == "" {
		return principal.Principal{}, ErrNoCredentials
	}
	var p principal.Principal
	var err error
	if strings.HasPrefix(credential, KeyPrefix) {
		p, err = a.keys.Authenticate(ctx, credential)
	} else {
		p, err = a.token(credential)
	}
	if err != nil {
		return principal.Principal{}, err
	}
	return a.live.check(ctx, p)
}

// token returns a JWT's principal, verified now or (the same token, by its hash) earlier and
// not yet expired.
func (a *Authenticator) token(credential string) (principal.Principal, error) {
	key, now := hashOf(credential), a.now()
	if p, ok := a.tokens.get(key, now); ok {
		return p, nil
	}
	a.verified.Add(1)
	p, exp, err := a.verifyJWT(credential)
	if err != nil {
		return principal.Principal{}, err
	}
	a.tokens.put(key, p, exp, now)
	return p, nil
}

// Middleware authenticates every request to the API from its Authorization header and refuses
// the ones without a valid credential (401, UNAUTHENTICATED). Websocket upgrades may come without
// the header (browsers cannot set it): their credential is read from connection_init by
// WebsocketInit. CORS preflights pass.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if r.Method == http.MethodOptions || (h == "" && r.Header.Get("Upgrade") != "") {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.Authenticate(r.Context(), h)
		if err != nil {
			a.refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(principal.With(r.Context(), p)))
	})
}

func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var ue *UnauthenticatedError
	if !errors.As(err, &ue) && dberr.Classify(err) != dberr.Other {
		// The user table could not be read (database down, or its pool saturated): the client
		// may retry, and a load balancer sees a 503, not a bug.
		a.log.WarnContext(r.Context(), "authentication: database unavailable", "err", err)
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, string(domainerr.CodeUnavailable), "the database is unavailable; try again shortly",
			map[string]any{"dependency": "database", "retryAfter": 2})
		return
	}
	if !errors.As(err, &ue) {
		a.log.ErrorContext(r.Context(), "authentication failed", "err", err)
		writeError(w, http.StatusInternalServerError, string(domainerr.CodeInternal), "internal error", nil)
		return
	}
	a.log.DebugContext(r.Context(), "unauthenticated request", "reason", ue.Reason)
	w.Header().Set("WWW-Authenticate", `Bearer realm="qualify"`)
	writeError(w, http.StatusUnauthorized, string(domainerr.CodeUnauthenticated), ue.Error(), ue.Extensions())
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
