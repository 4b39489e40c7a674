package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/txn"
)

// burstOutcome counts the answers of a burst by extensions.code ("ok" for none).
type burstOutcome struct {
	mu    sync.Mutex
	codes map[string]int
}

func (o *burstOutcome) add(r apitest.Response) {
	key := "ok"
	if len(r.Errors) > 0 {
		key = r.Errors[0].Code()
	}
	if r.Status >= 500 {
		key = fmt.Sprintf("HTTP %d %s", r.Status, key)
	}
	o.mu.Lock()
	o.codes[key]++
	o.mu.Unlock()
}

// Two replicas on one database (PostgreSQL; and two pools on one SQLite file), 200 concurrent createActivity / updateLead over 20
// leads (owners changing, so the rollup upkeep runs from the lead hook and from the transitions
// in the same transactions): every write succeeds. Transient database errors (deadlocks,
// serialization failures) are retried inside, and writes that send no expectedVersion never
// fail because another writer got there first.
func TestBurstAcrossReplicas(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { burst(t, twoReplicas) })
	// Two processes on one SQLite file contend for its write lock (SQLITE_BUSY past the timeout).
	t.Run("sqlite", func(t *testing.T) { burst(t, twoOnSQLite) })
}

// twoOnSQLite starts two instances, each with its own pool, on one SQLite file.
func twoOnSQLite(t *testing.T) (*apitest.Instance, *apitest.Instance) {
	t.Helper()
	first := testenv.SQLite(t)
	var path string
	if err := first.SQL.QueryRow("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path); err != nil {
		t.Fatal(err)
	}
	second, err := store.Open(context.Background(), store.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close() })
	// SQLite has one writer: 200 writes queue behind it, which under -race on a loaded machine
	// outlasts the default request timeout. The property here is that none fails from contention.
	patient := func(c *app.Config) { c.Server.RequestTimeout = 2 * time.Minute }
	return apitest.Start(t, first, patient), apitest.Start(t, second, patient)
}

func burst(t *testing.T, start func(t *testing.T) (*apitest.Instance, *apitest.Instance)) {
	a, b := start(t)
	owners := []string{a.User(t, "Bea", "BDR", "north"), a.User(t, "Ben", "BDR", "south")}
	var leads []string
	for i := range 20 {
		var out struct{ CreateLead struct{ ID string } }
		a.Data(t, `mutation($e: String!) { createLead(input: {lastName: "Burst", email: $e, source: WEB_FORM}) { id } }`,
			map[string]any{"e": fmt.Sprintf("burst%d@gmail.com", i)}, &out)
		leads = append(leads, out.CreateLead.ID)
	}
	kinds := []string{"FORM_FILL", "DEMO", "MEETING", "WEB_VISIT", "CONTENT_DOWNLOAD"}
	needs := []string{"YES", "UNKNOWN", "NO"}
	out := &burstOutcome{codes: map[string]int{}}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := a
			if i%2 == 1 {
				api = b
			}
			id := leads[i%len(leads)]
			if i%3 == 0 {
				out.add(api.Do(t, `mutation($id: ID!, $o: ID!, $n: LeadNeed!) { updateLead(id: $id, input: {ownerID: $o, need: $n}) { id version } }`,
					map[string]any{"id": id, "o": owners[(i/3)%2], "n": needs[i%len(needs)]}))
				return
			}
			out.add(api.Do(t, `mutation($id: ID!, $k: ActivityKind!) { createActivity(input: {kind: $k, leadID: $id}) { id } }`,
				map[string]any{"id": id, "k": kinds[i%len(kinds)]}))
		}()
	}
	wg.Wait()
	t.Logf("200 writes over 20 leads on two replicas: %v; transactions retried: %v", out.codes, txRetries(t))
	for code, n := range out.codes {
		if code != "ok" {
			t.Errorf("%d writes answered %s, want every write to succeed", n, code)
		}
	}
}

// txRetries reads qualify_tx_retries_total by kind.
func txRetries(t *testing.T) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(txn.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] += m.GetCounter().GetValue()
		}
	}
	return out
}
