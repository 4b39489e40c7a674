package lifecycle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

// idempotency is one createLead key: whose it is, and a hash of the input it came with.
type idempotency struct {
	key, scope, hash string
}

// newIdempotency scopes key to the caller of ctx (user:12, apikey:7, or a token's subject) and
// hashes the input as sent, before any cleaning.
func newIdempotency(ctx context.Context, key string, in ent.CreateLeadInput) *idempotency {
	p, _ := principal.From(ctx)
	scope := p.Subject
	if scope == "" {
		scope = p.Via + ":" + strconv.Itoa(p.UserID)
	}
	raw, _ := json.Marshal(in)
	sum := sha256.Sum256(raw)
	return &idempotency{key: key, scope: scope, hash: hex.EncodeToString(sum[:])}
}

func (i *idempotency) scopeOrNil() *string {
	if i == nil {
		return nil
	}
	return &i.scope
}

func (i *idempotency) hashOrNil() *string {
	if i == nil {
		return nil
	}
	return &i.hash
}

// replay returns the caller's lead created under the key, nil if there is none, or
// IdempotencyKeyReusedError when the key came with another input.
func (s *Service) replay(ctx context.Context, i *idempotency) (*ent.Lead, error) {
	l, err := s.client.Lead.Query().
		Where(lead.IdempotencyScope(i.scope), lead.IdempotencyKey(i.key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.IdempotencyHash == nil || *l.IdempotencyHash != i.hash {
		return nil, &domainerr.IdempotencyKeyReusedError{Key: i.key, LeadID: l.ID}
	}
	return l, nil
}
