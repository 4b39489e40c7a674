package benchserve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The harness on a few seeded leads: the reference handler answers the read shapes as Qualify
// does (so the comparison make bench-serve makes is of equal work), the counting proxy sees its
// statements, and the load generator measures. Qualify runs in process here; make bench-serve
// runs the real binary.
func TestHarnessOnSmallData(t *testing.T) {
	testenv.Want(t, "postgres")
	ctx := context.Background()
	dbURL := testenv.PostgresURL(t)
	db, err := store.Open(ctx, store.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 25, Seed: 3, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	api := apitest.Start(t, db)

	u, _ := url.Parse(dbURL)
	counter, err := NewStatementCounter(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()
	u.Host = counter.Addr()
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ref, err := NewReference(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	refSrv := httptest.NewServer(ref.Handler())
	defer refSrv.Close()

	leads, _, err := benchData(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	client := NewClient(2)
	for _, tc := range []struct {
		shape string
		stmts int
	}{{ShapeNode, 1}, {ShapeList, 4}} {
		for i := range 3 {
			counter.Take()
			_, refRaw, err := post(ctx, client, refSrv.URL+"/"+tc.shape, http.Header{}, graphqlRequest(tc.shape, leads, 0, i))
			if err != nil {
				t.Fatal(err)
			}
			// The proxy counts a statement as it passes, in its own goroutine: the answer can
			// reach the client first, so wait for the count.
			counts := map[string]int{}
			for deadline := time.Now().Add(2 * time.Second); counts["SELECT"] < tc.stmts && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				for k, v := range counter.Take() {
					counts[k] += v
				}
			}
			_, qRaw, err := post(ctx, client, api.Server.URL+"/graphql", api.Header, graphqlRequest(tc.shape, leads, 0, i))
			if err != nil {
				t.Fatal(err)
			}
			want, err := normalize("qualify", tc.shape, qRaw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := normalize("reference", tc.shape, refRaw)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s: the reference answered\n%s\nQualify\n%s", tc.shape, got, want)
			}
			if counts["SELECT"] != tc.stmts {
				t.Errorf("%s: the reference ran %v, want %d SELECTs", tc.shape, counts, tc.stmts)
			}
		}
	}
	r := Load(ctx, client, refSrv.URL+"/node", http.Header{}, 2, 200*time.Millisecond,
		func(w, i int) []byte { return graphqlRequest(ShapeNode, leads, w, i) })
	if r.Requests == 0 || r.Errors > 0 || r.P50 <= 0 || r.P99 < r.P50 {
		t.Errorf("load: %+v", r)
	}
}
