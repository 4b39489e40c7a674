package app

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/internal/decisionlog"
)

// breached reports a revision whose decisions crossed their bounds and, when rollback is set
// and it is still the active one, restores the last good revision (the newest other one that
// was active) in the background. There is no audit trail in this tree yet: the log line is it.
func (a *App) breached(b decisionlog.Breach, rollback bool) {
	a.log.Error("policy revision crosses its decision bounds", "decision", b.Decision, "revision", b.Revision,
		"hash", b.RevisionHash, "reason", b.Reason, "rollback", rollback)
	if !rollback {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if active := a.Engine.Active(); active == nil || active.Hash() != b.RevisionHash {
			return // superseded meanwhile
		}
		good, err := a.DB.Client.PolicyRevision.Query().
			Where(policyrevision.StatusIn(policyrevision.StatusACTIVE, policyrevision.StatusSUPERSEDED),
				policyrevision.ActivatedAtNotNil(), policyrevision.HashNEQ(b.RevisionHash)).
			Order(policyrevision.ByActivatedAt(sql.OrderDesc())).First(ctx)
		if err != nil {
			a.log.Error("automatic rollback: no last good revision", "hash", b.RevisionHash, "err", err)
			return
		}
		rev, err := a.Admin.Rollback(ctx, good.Hash, "automatic rollback: revision "+b.RevisionHash+" crossed its bounds: "+b.Reason)
		if err != nil {
			a.log.Error("automatic rollback failed", "from", b.RevisionHash, "to", good.Hash, "err", err)
			return
		}
		a.log.Warn("automatic rollback", "from", b.RevisionHash, "to", good.Hash, "restored_as", rev.Hash, "reason", b.Reason)
	}()
}
