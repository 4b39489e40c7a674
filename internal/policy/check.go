package policy

import (
	"context"
	"path/filepath"
)

// Check runs the whole verification (compile, tests, probe) on the bundle in dir, as
// `qualify policy check` does, and activates nothing. Problem and test files are given with dir
// in front, so that editors can jump to them.
func Check(ctx context.Context, dir string) *Report {
	return checkDir(ctx, dir, stepAll)
}

// RunTests compiles the bundle in dir and runs its _test.rego tests, as `qualify policy test`.
func RunTests(ctx context.Context, dir string) *Report {
	return checkDir(ctx, dir, stepTests)
}

func checkDir(ctx context.Context, dir string, upTo step) *Report {
	files, err := ReadDir(dir)
	if err != nil {
		return &Report{Problems: []Problem{{File: dir, Message: err.Error()}}, Tests: []TestResult{}}
	}
	e := New(Options{})
	_, rep := verify(ctx, files, dir, e.clock(), e.cfg, upTo)
	for i := range rep.Problems {
		if rep.Problems[i].File != "" {
			rep.Problems[i].File = filepath.Join(dir, filepath.FromSlash(rep.Problems[i].File))
		}
	}
	for i := range rep.Tests {
		rep.Tests[i].File = filepath.Join(dir, filepath.FromSlash(rep.Tests[i].File))
	}
	return rep
}
