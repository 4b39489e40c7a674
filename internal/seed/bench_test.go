package seed_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// BenchmarkSeed seeds 10k leads (SEED_BENCH_LEADS overrides) into a fresh SQLite file and a
// fresh PostgreSQL database, and reports leads per second.
//
//	SEED_BENCH_LEADS=100000 go test ./internal/seed -run '^$' -bench Seed -benchtime 1x
func BenchmarkSeed(b *testing.B) {
	leads := 10000
	if s := os.Getenv("SEED_BENCH_LEADS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("SEED_BENCH_LEADS=%q: want a positive number", s)
		}
		leads = n
	}
	for _, tc := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{
		{"sqlite", testenv.SQLite},
		{"postgres", testenv.Postgres},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := tc.open(b)
				b.StartTimer()
				st := run(b, db, seed.Options{Leads: leads, Seed: uint64(i), Now: now, Pool: db.SQL})
				b.StopTimer()
				b.ReportMetric(float64(st.Leads)/st.Elapsed.Seconds(), "leads/s")
				b.ReportMetric(float64(st.Leads+st.Transitions+st.Activities+st.Contacts+st.LeadContacts)/st.Elapsed.Seconds(), "rows/s")
				b.StartTimer()
			}
		})
	}
}
