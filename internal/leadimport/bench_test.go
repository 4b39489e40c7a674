package leadimport_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// BenchmarkImport reports rows/s of an import of QUALIFY_BENCH_IMPORT_ROWS rows (default
// 100,000) on each database, every lead created and qualified, queued and worked as a job as
// the server does it. Run it once:
//
//	go test -run '^$' -bench BenchmarkImport -benchtime 1x ./internal/leadimport/
func BenchmarkImport(b *testing.B) {
	rows := 100_000
	if n, err := strconv.Atoi(os.Getenv("QUALIFY_BENCH_IMPORT_ROWS")); err == nil && n > 0 {
		rows = n
	}
	var sb strings.Builder
	sb.WriteString("id;first name;last name;email;company;country;source\n")
	for i := range rows {
		fmt.Fprintf(&sb, "r%d;Ann%d;Lee;ann.%d@company%d.example;Company %d;DE;directory\n", i, i, i, i%5000, i%5000)
	}
	raw := []byte(sb.String())
	for _, c := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", testenv.SQLite}, {"postgres", testenv.Postgres}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				api := apitest.Start(b, c.open(b))
				ctx := principal.With(context.Background(), principal.System)
				b.StartTimer()
				start := time.Now()
				run, err := api.App.Import.Import(ctx, raw, leadimport.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if run, err = api.App.Import.WaitRun(ctx, run.ID, nil); err != nil {
					b.Fatal(err)
				}
				if run.Created != rows {
					b.Fatalf("%d created of %d", run.Created, rows)
				}
				b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
			}
		})
	}
}
