// Package audit records administrative acts (publishing, approving and rolling back policies,
// re-qualifying, simulating, managing API keys) with the caller and their message.
package audit

import (
	"context"
	"fmt"
	"os/user"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/internal/principal"
)

// The acts recorded.
const (
	PolicyPublish  = auditevent.ActionPOLICY_PUBLISH
	PolicyRollback = auditevent.ActionPOLICY_ROLLBACK
	PolicyApprove  = auditevent.ActionPOLICY_APPROVE
	PolicySimulate = auditevent.ActionPOLICY_SIMULATE
	RequalifyStart = auditevent.ActionREQUALIFY_START
	APIKeyCreate   = auditevent.ActionAPI_KEY_CREATE
	APIKeyRevoke   = auditevent.ActionAPI_KEY_REVOKE
	JobRetry       = auditevent.ActionJOB_RETRY
	JobCancel      = auditevent.ActionJOB_CANCEL
)

// Event is one act to record; the actor comes from the context's principal.
type Event struct {
	Action  auditevent.Action
	Target  string
	Message string
	Details map[string]any
}

// viaCLI is the principal's Via of a command-line caller.
const viaCLI = "cli"

// CLI returns ctx acting as the operating-system user running a command: commands work on the
// files and the database directly, and their acts are audited as that user's.
func CLI(ctx context.Context) context.Context {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return principal.With(ctx, principal.Principal{Role: "admin", Via: viaCLI, Subject: "cli:" + name})
}

// Actor is who a context acts as, as recorded: its subject, or "system" without a principal.
func Actor(ctx context.Context) string {
	if p, ok := principal.From(ctx); ok && p.Subject != "" {
		return p.Subject
	}
	return principal.System.Subject
}

// Record writes ev as done by ctx's principal.
func Record(ctx context.Context, c *ent.Client, ev Event) (*ent.AuditEvent, error) {
	p, ok := principal.From(ctx)
	if !ok {
		p = principal.System
	}
	create := c.AuditEvent.Create().SetAction(ev.Action).SetActor(Actor(ctx)).SetActorRole(p.Role).
		SetTarget(ev.Target).SetMessage(ev.Message)
	if p.UserID != 0 {
		create.SetActorUserID(p.UserID)
	}
	if p.Via == viaCLI {
		create.SetVia(auditevent.ViaCLI)
	}
	if ev.Details != nil {
		create.SetDetails(ev.Details)
	}
	e, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit %s %s: %w", ev.Action, ev.Target, err)
	}
	return e, nil
}
