package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// PostgresImage is the image testcontainers runs when a Docker engine answers.
const PostgresImage = "postgres:16-alpine"

// errNoServer says that neither a Docker engine nor DATABASE_URL is there.
var errNoServer = errors.New("no PostgreSQL server: no Docker engine answers and DATABASE_URL is not set")

// server is the PostgreSQL server the per-test databases are created on.
type server struct {
	admin  *sql.DB  // connection used only to create and drop the per-test databases
	base   *url.URL // URL of the admin connection; a test's URL differs in the path only
	origin string   // where the server comes from, for messages
}

// sharedServer finds or starts the server once per test binary. The container, if any, is
// left to testcontainers' reaper, which removes it when the binary exits.
var sharedServer = sync.OnceValues(func() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if dockerAnswers(ctx) {
		return startContainer(ctx)
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return connect(ctx, u, "DATABASE_URL")
	}
	return nil, errNoServer
})

// dockerAnswers reports, quietly and within two seconds, whether a Docker engine answers.
func dockerAnswers(ctx context.Context) (ok bool) {
	defer func() {
		// testcontainers panics in places when it finds no Docker host.
		if recover() != nil {
			ok = false
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return false
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err == nil
}

func startContainer(ctx context.Context) (*server, error) {
	ctr, err := tcpostgres.Run(ctx, PostgresImage,
		testcontainers.WithLogger(tclog.NewNoopLogger()),
		testcontainers.WithCmd("postgres", "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=300"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		return nil, fmt.Errorf("start %s with testcontainers: %w", PostgresImage, err)
	}
	u, err := ctr.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		return nil, fmt.Errorf("%s container: %w", PostgresImage, err)
	}
	return connect(ctx, u, "testcontainers "+PostgresImage)
}

func connect(ctx context.Context, raw, origin string) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s is not a postgres:// URL", origin)
	}
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	admin.SetMaxOpenConns(2)
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connect to %s (%s): %w", u.Redacted(), origin, err)
	}
	return &server{admin: admin, base: u, origin: origin}, nil
}

// requireServer returns the shared server, or skips the test (fails it when CI is set).
func requireServer(t testing.TB) *server {
	t.Helper()
	Want(t, "postgres")
	srv, err := sharedServer()
	switch {
	case err == nil:
		return srv
	case errors.Is(err, errNoServer) && inCI():
		t.Fatalf("testenv: CI is set and there is %v. PostgreSQL tests are never skipped in CI: "+
			"set DATABASE_URL=postgres://user@host:5432/db?sslmode=disable or provide a Docker engine.", err)
	case errors.Is(err, errNoServer):
		t.Skipf("testenv: skipping the PostgreSQL test: %v. "+
			"Set DATABASE_URL=postgres://user@host:5432/db?sslmode=disable or start Docker to run it.", err)
	default:
		t.Fatalf("testenv: PostgreSQL: %v", err)
	}
	return nil
}

func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// createDatabase creates a database for the test, a copy of template or empty when template is
// "", dropped (with FORCE, whatever is still connected) when the test ends, and returns its URL.
func createDatabase(t testing.TB, template string) string {
	t.Helper()
	srv := requireServer(t)
	name := "qualify_t_" + randomHex()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + template
	}
	if _, err := srv.admin.ExecContext(ctx, stmt); err != nil {
		t.Fatalf("testenv: create database %s on %s (%s): %v", name, srv.base.Redacted(), srv.origin, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := srv.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return srv.urlOf(name)
}

// urlOf is the URL of database name on the server.
func (srv *server) urlOf(name string) string {
	u := *srv.base
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// randomHex is 16 random hex digits, for database names.
func randomHex() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
