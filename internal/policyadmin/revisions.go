package policyadmin

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/ent/predicate"
	"github.com/qualify/qualify/internal/domainerr"
)

// minPrefix is the shortest hash prefix taken as a reference, as git's abbreviations; the
// 12 characters `policy status` prints are always long enough in practice.
const minPrefix = 4

var hexRef = regexp.MustCompile(`^[0-9a-f]+$`)

// maxCandidates bounds the candidates an ambiguous reference lists.
const maxCandidates = 20

func (s *Service) findRevision(ctx context.Context, ref string) (*ent.PolicyRevision, error) {
	return FindRevision(ctx, s.cfg.Client, ref)
}

// FindRevision finds the one stored revision ref names. A revision's identity is its content
// hash; ref may be the hash, a unique prefix of it (at least 4 characters), its unique label, or
// the manifest revision when a single content carries it. A ref that names several revisions
// (a manifest revision shared by several contents, a short prefix) is refused with an
// *domainerr.AmbiguousError listing them; never is one of them picked.
func FindRevision(ctx context.Context, c *ent.Client, ref string) (*ent.PolicyRevision, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, domainerr.Validation("revision", "give a revision: its hash, a unique hash prefix or its label")
	}
	if r, err := c.PolicyRevision.Query().Where(policyrevision.Hash(ref)).Only(ctx); err == nil {
		return r, nil
	} else if !ent.IsNotFound(err) {
		return nil, err
	}
	preds := []predicate.PolicyRevision{policyrevision.LabelEQ(ref), policyrevision.Revision(ref)}
	if len(ref) >= minPrefix && hexRef.MatchString(ref) {
		preds = append(preds, policyrevision.HashHasPrefix(ref))
	}
	rs, err := c.PolicyRevision.Query().Where(policyrevision.Or(preds...)).
		Order(ent.Desc(policyrevision.FieldLoadedAt)).Limit(maxCandidates + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	switch len(rs) {
	case 0:
		return nil, domainerr.NotFound("PolicyRevision", ref)
	case 1:
		return rs[0], nil
	}
	amb := &domainerr.AmbiguousError{Type: "PolicyRevision", Ref: ref, Field: "revision"}
	for _, r := range rs[:min(len(rs), maxCandidates)] {
		amb.Candidates = append(amb.Candidates, map[string]any{
			"hash": r.Hash, "label": r.Label, "revision": r.Revision, "status": string(r.Status),
			"loadedAt": r.LoadedAt.UTC().Format(time.RFC3339),
		})
	}
	return nil, amb
}
