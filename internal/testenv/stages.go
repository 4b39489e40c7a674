package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/qualify/qualify/internal/policy"
)

// fallbackStages stands in for policies/data.json while the bundle has none.
var fallbackStages = []policy.Stage{
	{Key: "lead", Name: "Lead", Position: 1, Kind: "open"},
	{Key: "mql", Name: "Marketing qualified lead", Position: 2, Kind: "open"},
	{Key: "sal", Name: "Sales accepted lead", Position: 3, Kind: "open"},
	{Key: "sql", Name: "Sales qualified lead", Position: 4, Kind: "open"},
	{Key: "opportunity", Name: "Opportunity", Position: 5, Kind: "open"},
	{Key: "customer", Name: "Customer", Position: 6, Kind: "won"},
	{Key: "nurture", Name: "Nurture", Position: 90, Kind: "parked"},
	{Key: "disqualified", Name: "Disqualified", Position: 99, Kind: "lost"},
}

// bundleStages reads qualify.stages from the shipped bundle's data.json once per test binary.
var bundleStages = sync.OnceValues(func() ([]policy.Stage, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "policies", "data.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fallbackStages, nil
	}
	if err != nil {
		return nil, err
	}
	var data struct {
		Qualify struct {
			Stages []policy.Stage `json:"stages"`
		} `json:"qualify"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data.Qualify.Stages) == 0 {
		return nil, fmt.Errorf("%s: no qualify.stages", path)
	}
	return data.Qualify.Stages, nil
})

// Stages returns the funnel stages every test database is synced with: qualify.stages of
// policies/data.json, or a built-in copy of the default funnel when that file does not exist.
func Stages(t testing.TB) []policy.Stage {
	t.Helper()
	stages, err := bundleStages()
	if err != nil {
		t.Fatalf("testenv: stages: %v", err)
	}
	return slices.Clone(stages)
}

// RepoRoot is the directory of go.mod: two levels above this file, or else the first directory
// with a go.mod above the working directory (when built with -trimpath).
func RepoRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Clean(root), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
