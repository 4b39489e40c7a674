package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
)

// DevSecret signs development-mode tokens when no secret is configured. It is public: never use
// it outside `qualify serve --dev`.
const DevSecret = "qualify-development-mode-secret-not-for-production"

// DevUser is a demo user of development mode with a ready token.
type DevUser struct {
	User  *ent.User
	Role  string // lower case, as in tokens
	Token string
}

// devRoles are the demo users development mode ensures, in the order they are printed.
var devRoles = []struct {
	role user.Role
	team string
}{
	{user.RoleBDR, "dev-bdr"},
	{user.RoleAE, "dev-ae"},
	{user.RoleREVOPS, "revops"},
	{user.RoleANALYST, "analytics"},
	{user.RoleADMIN, "admin"},
}

// EnsureDevUsers picks an active user of each demo role (a rep, an AE, revops, an analyst, an
// admin), creating the ones the database lacks, and mints each a token valid for ttl.
func EnsureDevUsers(ctx context.Context, client *ent.Client, cfg Config, ttl time.Duration) ([]DevUser, error) {
	var out []DevUser
	for _, d := range devRoles {
		u, err := client.User.Query().
			Where(user.RoleEQ(d.role), user.Active(true), user.TeamNEQ("")).
			Order(ent.Asc(user.FieldID)).First(ctx)
		if ent.IsNotFound(err) {
			name := strings.ToLower(string(d.role))
			u, err = client.User.Create().
				SetName("Demo " + strings.ToUpper(name[:1]) + name[1:]).
				SetEmail("demo-" + name + "@qualify.dev").
				SetRole(d.role).SetTeam(d.team).Save(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("dev user %s: %w", d.role, err)
		}
		role := strings.ToLower(string(u.Role))
		tok, err := Mint(cfg.Secret, cfg.Issuer, cfg.Audience, role, u.Team, u.ID, ttl)
		if err != nil {
			return nil, err
		}
		out = append(out, DevUser{User: u, Role: role, Token: tok})
	}
	return out, nil
}
