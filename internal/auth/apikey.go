package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/apikey"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

// KeyPrefix starts every API key, so a key is told from a JWT at a glance (and by secret scanners).
const KeyPrefix = "qk_"

// touchEvery is how stale last_used_at may get before a use writes it again.
const touchEvery = time.Minute

// Keys creates, revokes and checks API keys. Only the sha256 of a key is stored; the key itself is
// shown once, when it is created.
type Keys struct {
	client *ent.Client
	now    func() time.Time
	// ttl is how long a key found valid is trusted without reading it again; 0 reads every use.
	ttl     time.Duration
	valid   credentialCache[principal.Principal]
	lookups atomic.Int64 // reads of a key, for tests
}

// NewKeys returns the API-key store over client.
func NewKeys(client *ent.Client) *Keys { return &Keys{client: client, now: time.Now} }

// NewKey is what Create needs.
type NewKey struct {
	Name   string
	Role   apikey.Role
	Team   string
	UserID *int
}

// Create stores a new key and returns it with its secret, which is never retrievable again.
func (k *Keys) Create(ctx context.Context, in NewKey) (*ent.APIKey, string, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, "", domainerr.Validation("input.name", "must not be empty")
	}
	if err := apikey.RoleValidator(in.Role); err != nil {
		return nil, "", domainerr.Validation("input.role", err.Error())
	}
	var id [4]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, "", err
	}
	prefix := KeyPrefix + hex.EncodeToString(id[:])
	key := prefix + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	rec, err := k.client.APIKey.Create().
		SetName(in.Name).SetRole(in.Role).SetTeam(in.Team).SetNillableUserID(in.UserID).
		SetPrefix(prefix).SetKeyHash(hashKey(key)).
		Save(ctx)
	if err != nil {
		return nil, "", err
	}
	return rec, key, nil
}

// Revoke marks a key revoked; it is refused from then on. Revoking twice keeps the first time.
func (k *Keys) Revoke(ctx context.Context, id int) (*ent.APIKey, error) {
	rec, err := k.client.APIKey.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.RevokedAt != nil {
		return rec, nil
	}
	rec, err = rec.Update().SetRevokedAt(k.now()).Save(ctx)
	if err == nil {
		k.valid.clear() // refused from the next request on, on this replica
	}
	return rec, err
}

// Authenticate checks a key and returns its principal. Unknown and revoked keys are refused.
func (k *Keys) Authenticate(ctx context.Context, key string) (principal.Principal, error) {
	if len(key) > 128 {
		return principal.Principal{}, unauthenticated("malformed API key")
	}
	now := k.now()
	hash := hashOf(key)
	if p, ok := k.valid.get(hash, now); ok {
		return p, nil
	}
	k.lookups.Add(1)
	rec, err := k.client.APIKey.Query().Where(apikey.KeyHash(hex.EncodeToString(hash[:]))).Only(ctx)
	if ent.IsNotFound(err) {
		return principal.Principal{}, unauthenticated("unknown API key")
	}
	if err != nil {
		return principal.Principal{}, err
	}
	if rec.RevokedAt != nil {
		return principal.Principal{}, unauthenticated("API key %s was revoked", rec.Prefix)
	}
	if rec.LastUsedAt == nil || now.Sub(*rec.LastUsedAt) > touchEvery {
		// Best effort: a failed touch must not refuse a good key.
		_ = k.client.APIKey.UpdateOneID(rec.ID).SetLastUsedAt(now).Exec(ctx)
	}
	p := principal.Principal{
		Role:    strings.ToLower(string(rec.Role)),
		Team:    rec.Team,
		Via:     "apikey",
		Subject: "apikey:" + strconv.Itoa(rec.ID),
	}
	if rec.UserID != nil {
		p.UserID = *rec.UserID
	}
	if k.ttl > 0 {
		k.valid.put(hash, p, now.Add(k.ttl), now)
	}
	return p, nil
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
