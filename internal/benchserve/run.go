package benchserve

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qualify/qualify/internal/auth"
)

// Secret signs the harness's tokens; the Qualify it starts accepts it.
const Secret = "bench-serve-secret-of-at-least-32-bytes!"

// Config is one run of the harness.
type Config struct {
	DatabaseURL string // a seeded PostgreSQL database (qualify seed)
	QualifyBin  string // the built qualify binary
	Self        string // this program, run as `reference`
	Policies    string // the bundle Qualify serves
	// PostGraphile is its executable; "" leaves it out.
	PostGraphile string
	Shapes       []string
	Rounds       int
	Duration     time.Duration // of one measurement
	Warmup       time.Duration // unmeasured load before a server's first measurement of a shape
	Readers      int           // concurrent clients of the read shapes
	Writers      int           // of createActivity
	// WorkDir gets the servers' logs and, with Profile, a CPU profile of Qualify per shape.
	WorkDir string
	Profile time.Duration // 0: no profile
	Out     io.Writer
}

type server struct {
	target
	proc *proc
}

// Run counts statements and checks answers with every server behind a counting proxy, then
// measures each shape in A-B-A rounds (reference, Qualify, PostGraphile, Qualify, reference;
// writes without PostGraphile) and prints one line per round and server.
func Run(ctx context.Context, cfg Config) error {
	db, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	leads, admin, err := benchData(ctx, db)
	if err != nil {
		return err
	}
	token, err := auth.Mint([]byte(Secret), "", "", "admin", "", admin, 24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "bench-serve: %d leads to pick from, admin user %d, %s per measurement, %d rounds\n", len(leads), admin, cfg.Duration, cfg.Rounds)

	// Phase 1: statements per request and the answers, each server behind a counting proxy of its own.
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	counters := map[string]*StatementCounter{}
	servers, err := startAll(ctx, cfg, func(name string) string {
		c, cerr := NewStatementCounter(u.Host)
		if cerr != nil {
			err = cerr
			return cfg.DatabaseURL
		}
		counters[name] = c
		counted := *u
		counted.Host = c.Addr()
		return counted.String()
	}, token, "counted", "")
	defer func() {
		for _, c := range counters {
			_ = c.Close()
		}
	}()
	if err != nil {
		return err
	}
	err = countAndCheck(ctx, cfg, servers, counters, leads)
	stopAll(servers)
	if err != nil {
		return err
	}

	// Phase 2: throughput and latency, straight to the database.
	pprofAddr := ""
	if cfg.Profile > 0 {
		if pprofAddr, err = freeAddr(); err != nil {
			return err
		}
	}
	servers, err = startAll(ctx, cfg, func(string) string { return cfg.DatabaseURL }, token, "timed", pprofAddr)
	if err != nil {
		return err
	}
	defer stopAll(servers)
	fmt.Fprintf(cfg.Out, "\n%-15s %-5s %-13s %9s %9s %9s %7s %9s %10s %10s  %s\n", "shape", "round", "server", "req/s", "p50", "p99", "errors", "cpu/req", "Q/ref", "Q/PG", "load avg")
	for _, shape := range cfg.Shapes {
		if err := measure(ctx, cfg, servers, shape, leads); err != nil {
			return err
		}
		printMemory(cfg.Out, shape, servers)
		if cfg.Profile > 0 {
			if err := profile(ctx, cfg, servers[1], shape, leads, pprofAddr); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchData is a spread of lead ids and an active admin's id.
func benchData(ctx context.Context, db *pgxpool.Pool) ([]int64, int, error) {
	rows, err := db.Query(ctx, `SELECT id FROM leads WHERE id % 97 = 0 ORDER BY id LIMIT 1000`)
	if err != nil {
		return nil, 0, err
	}
	var leads []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, err
		}
		leads = append(leads, id)
	}
	if len(leads) == 0 {
		if err := db.QueryRow(ctx, `SELECT id FROM leads ORDER BY id LIMIT 1`).Scan(new(int64)); err != nil {
			return nil, 0, fmt.Errorf("no leads: seed the database first (qualify seed --leads 100000): %w", err)
		}
		rows, _ = db.Query(ctx, `SELECT id FROM leads ORDER BY id LIMIT 100`)
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			leads = append(leads, id)
		}
	}
	var admin int
	err = db.QueryRow(ctx, `SELECT id FROM users WHERE role = 'ADMIN' AND active ORDER BY id LIMIT 1`).Scan(&admin)
	if err != nil {
		err = db.QueryRow(ctx, `INSERT INTO users (created_at, updated_at, name, email, role, team, active)
			VALUES (now(), now(), 'Bench Admin', 'bench-admin@qualify.example', 'ADMIN', 'admin', true) RETURNING id`).Scan(&admin)
	}
	return leads, admin, err
}

func startAll(ctx context.Context, cfg Config, databaseURL func(server string) string, token, tag, pprofAddr string) ([]*server, error) {
	logf := func(name string) string { return filepath.Join(cfg.WorkDir, name+"-"+tag+".log") }
	ref, err := startReference(ctx, cfg.Self, databaseURL("reference"), logf("reference"))
	if err != nil {
		return nil, err
	}
	servers := []*server{{proc: ref, target: target{name: "reference", request: graphqlRequest,
		url: func(shape string) string {
			return ref.base + "/" + map[string]string{ShapeNode: "node", ShapeList: "list", ShapeActivity: "activity"}[shape]
		}}}}
	q, err := startQualify(ctx, cfg, databaseURL("qualify"), logf("qualify"), pprofAddr)
	if err != nil {
		stopAll(servers)
		return nil, err
	}
	servers = append(servers, &server{proc: q, target: target{name: "qualify", request: graphqlRequest,
		url: func(string) string { return q.base + "/graphql" }, header: map[string]string{"Authorization": "Bearer " + token}}})
	if cfg.PostGraphile != "" {
		pg, err := startPostGraphile(ctx, cfg.PostGraphile, databaseURL("postgraphile"), logf("postgraphile"))
		if err != nil {
			stopAll(servers)
			return nil, err
		}
		servers = append(servers, &server{proc: pg, target: target{name: "postgraphile", request: postgraphileRequest,
			url: func(string) string { return pg.base + "/graphql" }}})
	}
	return servers, nil
}

func stopAll(servers []*server) {
	for _, s := range servers {
		s.proc.stop()
	}
}

func (s *server) headers() http.Header {
	h := http.Header{}
	for k, v := range s.header {
		h.Set(k, v)
	}
	return h
}

// countAndCheck sends each read shape's requests one by one to every server, compares the
// answers, and prints the statements per request of every shape.
func countAndCheck(ctx context.Context, cfg Config, servers []*server, counters map[string]*StatementCounter, leads []int64) error {
	const n = 20
	client := NewClient(1)
	fmt.Fprintf(cfg.Out, "\nstatements per request (mean of %d sequential requests, through a counting proxy):\n", n)
	for _, shape := range cfg.Shapes {
		answers := make([][]string, len(servers))
		for si, s := range servers {
			if shape == ShapeActivity && s.name == "postgraphile" {
				continue
			}
			counter := counters[s.name]
			_, _, _ = post(ctx, client, s.url(shape), s.headers(), s.request(shape, leads, 99, 0)) // warm caches
			counter.Settle(settleQuiet, settleLimit)
			counter.Take()
			for i := range n {
				status, raw, err := post(ctx, client, s.url(shape), s.headers(), s.request(shape, leads, 0, i))
				if err != nil || status != http.StatusOK {
					return fmt.Errorf("%s %s: status %d %v: %.300s", s.name, shape, status, err, raw)
				}
				if shape != ShapeActivity {
					a, err := normalize(s.name, shape, raw)
					if err != nil {
						return err
					}
					answers[si] = append(answers[si], a)
				}
			}
			counter.Settle(settleQuiet, settleLimit)
			fmt.Fprintf(cfg.Out, "  %-15s %-13s %s\n", shape, s.name, perRequest(counter.Take(), n))
		}
		for si := 1; si < len(servers) && shape != ShapeActivity; si++ {
			for i := range answers[0] {
				if answers[si][i] != answers[0][i] {
					return fmt.Errorf("%s: %s answered differently from the reference:\n  reference: %.600s\n  %s: %.600s",
						shape, servers[si].name, answers[0][i], servers[si].name, answers[si][i])
				}
			}
		}
		if shape != ShapeActivity {
			fmt.Fprintf(cfg.Out, "  %-15s answers: the same from every server (%d requests)\n", shape, n)
		}
	}
	return nil
}

// A count is taken once the proxy has seen no statement for settleQuiet (see Settle).
const settleQuiet, settleLimit = 200 * time.Millisecond, 5 * time.Second

func perRequest(counts map[string]int, n int) string {
	total := 0
	var parts []string
	for k, v := range counts {
		total += v
		parts = append(parts, fmt.Sprintf("%s %.1f", k, float64(v)/float64(n)))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%.1f  (%s)", float64(total)/float64(n), strings.Join(parts, ", "))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
