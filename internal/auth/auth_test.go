package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

const viewerQuery = `{ viewer { role team via user { id } } }`

// claims returns valid claims of the test app, for a case to spoil.
// claims are a service client's: its subject names no user, so the token's role and team hold.
func claims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": "crm-sync", "role": "bdr", "team": "emea-bdr",
		"iss": apitest.Issuer, "aud": apitest.Audience,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for key, val := range c {
		out[key] = val
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// mustRefuse asserts 401 UNAUTHENTICATED (never a 500, never data).
func mustRefuse(t *testing.T, api *apitest.Instance, authorization string) {
	t.Helper()
	r := api.WithAuthorization(authorization).Do(t, viewerQuery, nil)
	if r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("Authorization %.40q: status %d, errors %+v, data %s; want 401 UNAUTHENTICATED", authorization, r.Status, r.Errors, r.Data)
	}
}

func TestBadCredentials(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		secret := []byte(apitest.Secret)
		past := time.Now().Add(-2 * time.Hour)
		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		cases := map[string]string{
			"missing":              "",
			"empty bearer":         "Bearer ",
			"malformed":            "Bearer not.a.jwt",
			"garbage":              "Bearer é%%%.ü.~",
			"other scheme":         "Basic dXNlcjpwYXNz",
			"expired":              "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "exp", past.Unix()), ""),
			"no expiry":            "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "exp", nil), ""),
			"not yet valid":        "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "nbf", time.Now().Add(time.Hour).Unix()), ""),
			"wrong signature":      "Bearer " + sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes!!"), claims(), ""),
			"alg none":             "Bearer " + none,
			"HS512":                "Bearer " + sign(t, jwt.SigningMethodHS512, secret, claims(), ""),
			"RS256 without a JWKS": "Bearer " + sign(t, jwt.SigningMethodRS256, rsaKey, claims(), "k1"),
			"wrong issuer":         "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "iss", "evil"), ""),
			"wrong audience":       "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "aud", "other-api"), ""),
			"unknown role":         "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "role", "root"), ""),
			"system role":          "Bearer " + sign(t, jwt.SigningMethodHS256, secret, with(claims(), "role", "system"), ""),
			"unknown API key":      "Bearer qk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			"huge API key":         "Bearer qk_" + strings.Repeat("A", 4096),
		}
		for name, h := range cases {
			t.Run(name, func(t *testing.T) { mustRefuse(t, api, h) })
		}

		// A good token, for contrast.
		var v struct {
			Viewer struct{ Role, Team, Via string }
		}
		api.WithAuthorization("Bearer "+sign(t, jwt.SigningMethodHS256, secret, claims(), "")).Data(t, viewerQuery, nil, &v)
		if v.Viewer.Role != "bdr" || v.Viewer.Team != "emea-bdr" || v.Viewer.Via != "jwt" {
			t.Errorf("viewer = %+v", v.Viewer)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var created struct {
			CreateApiKey struct {
				Secret string
				APIKey struct{ ID, Prefix, Role string }
			}
		}
		api.Data(t, `mutation { createApiKey(input: {name: "warehouse sync", role: ANALYST, team: "data"}) {
			secret apiKey { id prefix role } } }`, nil, &created)
		k := created.CreateApiKey
		if len(k.Secret) < 40 || k.APIKey.Prefix == "" || k.Secret[:len(k.APIKey.Prefix)] != k.APIKey.Prefix {
			t.Fatalf("created key %+v", k)
		}
		svc := api.WithAuthorization("Bearer " + k.Secret)
		var v struct {
			Viewer struct{ Role, Team, Via string }
		}
		svc.Data(t, viewerQuery, nil, &v)
		if v.Viewer.Role != "analyst" || v.Viewer.Team != "data" || v.Viewer.Via != "apikey" {
			t.Errorf("viewer of the key = %+v", v.Viewer)
		}
		// The analyst key may not manage keys. A key is readable through node(id) by exactly
		// those the policy lets list keys (an admin), by nobody else.
		svc.Fail(t, "FORBIDDEN", `{ apiKeys { totalCount } }`, nil)
		for _, c := range []struct {
			caller *apitest.Instance
			role   string
		}{{api, "admin"}, {api.As(t, "revops", "revops", ""), "revops"}, {api.As(t, "bdr", "emea-bdr", ""), "bdr"}, {svc, "analyst key"}} {
			mayList := c.caller.Do(t, `{ apiKeys { totalCount } }`, nil).Errors == nil
			var n struct{ Node *struct{ ID string } }
			r := c.caller.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": k.APIKey.ID})
			_ = json.Unmarshal(r.Data, &n)
			if got := n.Node != nil && n.Node.ID == k.APIKey.ID; got != mayList {
				t.Errorf("%s: key through node(id) %v, may list keys %v (errors %v)", c.role, got, mayList, r.Errors)
			}
		}
		if r := api.As(t, "bdr", "emea-bdr", "").Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": k.APIKey.ID}); len(r.Errors) == 0 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("bdr: node(key) errors %v, want NOT_FOUND", r.Errors)
		}

		var list struct {
			APIKeys struct {
				TotalCount int
				Edges      []struct{ Node struct{ LastUsedAt *string } }
			}
		}
		api.Data(t, `{ apiKeys { totalCount edges { node { lastUsedAt } } } }`, nil, &list)
		if list.APIKeys.TotalCount != 1 || list.APIKeys.Edges[0].Node.LastUsedAt == nil {
			t.Errorf("apiKeys = %+v; want one key with lastUsedAt", list.APIKeys)
		}
		// No key material in the API.
		if r := api.Do(t, `{ apiKeys { edges { node { keyHash } } } }`, nil); len(r.Errors) == 0 {
			t.Errorf("keyHash is exposed")
		}

		api.Data(t, `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } } }`, map[string]any{"id": k.APIKey.ID}, &struct{}{})
		mustRefuse(t, api, "Bearer "+k.Secret)
	})
}

// An in-process identity provider's JWKS with an RSA and an EC key: RS256 and ES256 tokens are
// accepted, a token signed by another key with a known kid is not.
func TestJWKS(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString
	ecPub, err := ecKey.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	pt := ecPub.Bytes() // 0x04 || X || Y
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
			"n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256",
			"x": b64(pt[1:33]), "y": b64(pt[33:])},
	}})
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	defer idp.Close()

	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db, func(c *app.Config) { c.Auth.JWKSURL = idp.URL })
		for _, tc := range []struct {
			name string
			tok  string
		}{
			{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, claims(), "rsa-1")},
			{"ES256", sign(t, jwt.SigningMethodES256, ecKey, claims(), "ec-1")},
			{"HS256 still", sign(t, jwt.SigningMethodHS256, []byte(apitest.Secret), claims(), "")},
		} {
			var v struct{ Viewer struct{ Role string } }
			api.WithAuthorization("Bearer "+tc.tok).Data(t, viewerQuery, nil, &v)
			if v.Viewer.Role != "bdr" {
				t.Errorf("%s: viewer %+v", tc.name, v.Viewer)
			}
		}
		otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
		otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		mustRefuse(t, api, "Bearer "+sign(t, jwt.SigningMethodRS256, otherRSA, claims(), "rsa-1"))
		mustRefuse(t, api, "Bearer "+sign(t, jwt.SigningMethodES256, otherEC, claims(), "ec-1"))
		mustRefuse(t, api, "Bearer "+sign(t, jwt.SigningMethodRS256, rsaKey, with(claims(), "iss", "evil"), "rsa-1"))
		mustRefuse(t, api, "Bearer "+sign(t, jwt.SigningMethodES256, ecKey, with(claims(), "exp", time.Now().Add(-time.Hour).Unix()), "ec-1"))
		// An HS256 token whose secret is the RSA public key (algorithm confusion) is refused.
		mustRefuse(t, api, "Bearer "+sign(t, jwt.SigningMethodHS256, rsaKey.N.Bytes(), claims(), "rsa-1"))
	})
}
