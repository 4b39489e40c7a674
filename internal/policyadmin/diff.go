package policyadmin

import (
	"context"
	"slices"

	"github.com/pmezard/go-difflib/difflib"
)

// PolicyFileDiff is the unified diff of one file between two revisions.
type PolicyFileDiff struct {
	Path string `json:"path"`
	// Change is "added", "removed" or "modified".
	Change string `json:"change"`
	Diff   string `json:"diff"`
}

// Diff compares two stored revisions (by hash or manifest revision) file by file; unchanged
// files are left out.
func (s *Service) Diff(ctx context.Context, from, to string) ([]*PolicyFileDiff, error) {
	a, err := s.findRevision(ctx, from)
	if err != nil {
		return nil, err
	}
	b, err := s.findRevision(ctx, to)
	if err != nil {
		return nil, err
	}
	return DiffFiles(a.Files, b.Files, from, to)
}

// DiffFiles returns the unified diffs between two file sets.
func DiffFiles(a, b map[string]string, fromLabel, toLabel string) ([]*PolicyFileDiff, error) {
	var paths []string
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	out := []*PolicyFileDiff{}
	for _, p := range paths {
		x, inA := a[p]
		y, inB := b[p]
		if inA && inB && x == y {
			continue
		}
		change := "modified"
		switch {
		case !inA:
			change = "added"
		case !inB:
			change = "removed"
		}
		text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(x), B: difflib.SplitLines(y),
			FromFile: fromLabel + "/" + p, ToFile: toLabel + "/" + p, Context: 3,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, &PolicyFileDiff{Path: p, Change: change, Diff: text})
	}
	return out, nil
}
