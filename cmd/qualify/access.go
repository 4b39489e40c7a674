package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/auth"
)

// accessFlags are serve's authentication, rate-limit and development-mode flags.
type accessFlags struct {
	secret, issuer, audience, jwksURL string
	rateLimit                         float64
	rateBurst                         int
	metricsToken                      string
	userCacheTTL                      time.Duration
	dev, forceDev                     bool
	requireApproval                   bool
}

func (f *accessFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.secret, "jwt-secret", os.Getenv("QUALIFY_JWT_SECRET"), "HS256 secret of bearer tokens, at least 32 bytes (env QUALIFY_JWT_SECRET)")
	fs.StringVar(&f.issuer, "jwt-issuer", os.Getenv("QUALIFY_JWT_ISSUER"), "required iss of bearer tokens (env QUALIFY_JWT_ISSUER)")
	fs.StringVar(&f.audience, "jwt-audience", os.Getenv("QUALIFY_JWT_AUDIENCE"), "required aud of bearer tokens (env QUALIFY_JWT_AUDIENCE)")
	fs.StringVar(&f.jwksURL, "jwks-url", os.Getenv("QUALIFY_JWKS_URL"), "JWKS of the identity provider, for RS256/ES256 tokens (env QUALIFY_JWKS_URL)")
	fs.Float64Var(&f.rateLimit, "rate-limit", envFloat("QUALIFY_RATE_LIMIT", 20), "requests per second per principal; 0 = unlimited (env QUALIFY_RATE_LIMIT)")
	fs.IntVar(&f.rateBurst, "rate-burst", 0, "requests a principal may send at once; 0 = twice --rate-limit")
	fs.StringVar(&f.metricsToken, "metrics-token", os.Getenv("QUALIFY_METRICS_TOKEN"), "bearer token /metrics requires; empty = open (env QUALIFY_METRICS_TOKEN)")
	fs.DurationVar(&f.userCacheTTL, "user-cache-ttl", auth.DefaultUserCacheTTL, "how long a credential's user (active, role, team) is trusted before it is read again")
	fs.BoolVar(&f.requireApproval, "require-publish-approval", os.Getenv("QUALIFY_REQUIRE_PUBLISH_APPROVAL") == "true",
		"four-eyes publishing: publishPolicy needs another revops/admin's approvePolicyDraft of the same content (env QUALIFY_REQUIRE_PUBLISH_APPROVAL=true)")
	fs.BoolVar(&f.dev, "dev", false, "development mode: demo users with printed tokens signed by a public dev secret")
	fs.BoolVar(&f.forceDev, "force-dev", false, "allow --dev with DATABASE_URL / --database-url set")
}

// apply puts the flags into cfg. Development mode refuses a PostgreSQL database (a shared one,
// most likely) unless forced, and signs tokens with auth.DevSecret when no secret is given.
func (f *accessFlags) apply(cfg *app.Config, databaseURL string, log *slog.Logger) error {
	cfg.Auth = auth.Config{Secret: []byte(f.secret), Issuer: f.issuer, Audience: f.audience, JWKSURL: f.jwksURL,
		UserCacheTTL: f.userCacheTTL}
	cfg.RateLimit.PerSecond, cfg.RateLimit.Burst = f.rateLimit, f.rateBurst
	cfg.MetricsToken = f.metricsToken
	cfg.RequirePublishApproval = f.requireApproval
	if !f.dev {
		return nil
	}
	if databaseURL != "" && !f.forceDev {
		return errors.New("--dev refuses to start with DATABASE_URL (or --database-url) set: development mode " +
			"creates demo users and prints tokens; unset it, or add --force-dev if this database is yours to play with")
	}
	if cfg.Server.Production {
		return errors.New("--dev and --production exclude each other")
	}
	if f.secret == "" {
		cfg.Auth.Secret = []byte(auth.DevSecret)
	}
	log.Warn("DEVELOPMENT MODE: demo users, printed tokens, public dev JWT secret unless --jwt-secret; never expose this server")
	return nil
}

// printDevTokens ensures the demo users and prints their tokens and how to use them.
func printDevTokens(ctx context.Context, a *app.App, cfg app.Config, w io.Writer) error {
	users, err := auth.EnsureDevUsers(ctx, a.DB.Client, cfg.Auth, 24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\n  DEVELOPMENT MODE: tokens valid 24 h. In GraphiQL open Headers and set")
	fmt.Fprintln(w, `  {"Authorization": "Bearer <token>"}`)
	for _, u := range users {
		fmt.Fprintf(w, "\n  %-8s %s <%s> team %q (user %d)\n  %s\n", u.Role, u.User.Name, u.User.Email, u.User.Team, u.User.ID, u.Token)
	}
	fmt.Fprintln(w)
	return nil
}

func envFloat(key string, def float64) float64 {
	var v float64
	if _, err := fmt.Sscan(os.Getenv(key), &v); err == nil {
		return v
	}
	return def
}
