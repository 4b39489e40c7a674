package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/principal"
)

// DefaultUserCacheTTL is how long a user's stored state (active, role, team) is trusted before it
// is read again: the longest a deactivated user keeps working, or a moved one keeps the old team.
const DefaultUserCacheTTL = 2 * time.Second

// liveUsers re-checks the user a credential acts as against the User table, through a cache of
// ttl, so a token or key outlives neither the user's deactivation nor a change of role or team.
// One map lookup per request while fresh; one primary-key read per user per ttl otherwise.
type liveUsers struct {
	client *ent.Client
	ttl    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	users map[int]liveUser
}

type liveUser struct {
	found, active bool
	role, team    string
	read          time.Time
}

func newLiveUsers(client *ent.Client, ttl time.Duration) *liveUsers {
	if ttl <= 0 {
		ttl = DefaultUserCacheTTL
	}
	return &liveUsers{client: client, ttl: ttl, now: time.Now, users: map[int]liveUser{}}
}

// check refuses a principal whose user is gone or inactive. A token's principal takes the role
// and team the User table holds now; an API key keeps the role and team it was made with.
func (l *liveUsers) check(ctx context.Context, p principal.Principal) (principal.Principal, error) {
	if p.UserID <= 0 {
		return p, nil
	}
	u, err := l.get(ctx, p.UserID)
	if err != nil {
		return principal.Principal{}, err
	}
	switch {
	case !u.found:
		return principal.Principal{}, unauthenticated("user %d does not exist", p.UserID)
	case !u.active:
		return principal.Principal{}, unauthenticated("user %d is deactivated", p.UserID)
	}
	if p.Via == "jwt" || p.Via == "dev" {
		p.Role, p.Team = u.role, u.team
	}
	return p, nil
}

func (l *liveUsers) get(ctx context.Context, id int) (liveUser, error) {
	now := l.now()
	l.mu.Lock()
	u, ok := l.users[id]
	l.mu.Unlock()
	if ok && now.Sub(u.read) < l.ttl {
		return u, nil
	}
	rec, err := l.client.User.Get(ctx, id)
	switch {
	case ent.IsNotFound(err):
		u = liveUser{read: now}
	case err != nil:
		return liveUser{}, err
	default:
		u = liveUser{found: true, active: rec.Active, role: strings.ToLower(string(rec.Role)), team: rec.Team, read: now}
	}
	l.mu.Lock()
	if len(l.users) > 100_000 { // users are few; this only bounds a flood of made-up ids
		clear(l.users)
	}
	l.users[id] = u
	l.mu.Unlock()
	return u, nil
}

// Recheck reports whether the caller of ctx may still act as it did when its long-lived
// operation (a subscription) started: an error once its user is gone or deactivated, or its
// role or team changed (the operation's access scope was computed for the old ones).
func (a *Authenticator) Recheck(ctx context.Context) error {
	p, ok := principal.From(ctx)
	if !ok || p.IsSystem() || p.UserID <= 0 {
		return nil
	}
	now, err := a.live.check(ctx, p)
	if err != nil {
		return err
	}
	if now.Role != p.Role || now.Team != p.Team {
		return unauthenticated("user %d now acts as %s of team %q; subscribe again", p.UserID, now.Role, now.Team)
	}
	return nil
}
