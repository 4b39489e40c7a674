package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultGCPercent is serve's GOGC. A GraphQL request allocates for every field it resolves, and
// at Go's default of 100 the collector's mark workers took 13% of the CPU of a lead by id and 32%
// of a page of 50 leads (make bench-serve --profile, after the fields stopped taking a goroutine
// each). 400 runs it a quarter as often for a larger heap; GOMEMLIMIT, when set, still bounds it.
const defaultGCPercent = 400

// setGCPercent applies --gc-percent unless GOGC is in the environment, which wins as it does for
// any Go program.
func setGCPercent(pct int, log *slog.Logger) {
	if os.Getenv("GOGC") != "" || pct == 0 {
		return
	}
	debug.SetGCPercent(pct)
	log.Info("garbage collector", "gc_percent", pct)
}
