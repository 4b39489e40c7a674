package policy

import (
	"math"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/cover"
)

// TestCoverage is which rows of each policy module the bundle's tests evaluated, as `opa test
// --coverage` counts them. Test modules (*_test.rego) are left out: they are the measure, not
// the measured.
type TestCoverage struct {
	// Percent of the modules' rows with an expression that the tests evaluated, 0 to 100.
	Percent float64        `json:"percent"`
	Files   []FileCoverage `json:"files"`
}

// FileCoverage is one module's covered and not-covered rows, ascending.
type FileCoverage struct {
	Path       string  `json:"path"`
	Percent    float64 `json:"percent"`
	Covered    []int   `json:"covered"`
	NotCovered []int   `json:"notCovered"`
}

// coverageOf turns OPA's report (ranges of rows keyed by module file) into rows per bundle path.
func coverageOf(r cover.Report) *TestCoverage {
	out := &TestCoverage{Files: []FileCoverage{}}
	covered, total := 0, 0
	for file, fr := range r.Files {
		path := bundlePath(file)
		if strings.HasSuffix(path, "_test.rego") {
			continue
		}
		fc := FileCoverage{Path: path, Covered: rows(fr.Covered), NotCovered: rows(fr.NotCovered)}
		if n := len(fc.Covered) + len(fc.NotCovered); n > 0 {
			fc.Percent = percent(len(fc.Covered), n)
		}
		covered += len(fc.Covered)
		total += len(fc.Covered) + len(fc.NotCovered)
		out.Files = append(out.Files, fc)
	}
	slices.SortFunc(out.Files, func(a, b FileCoverage) int { return strings.Compare(a.Path, b.Path) })
	if total > 0 {
		out.Percent = percent(covered, total)
	}
	return out
}

func rows(rs []cover.Range) []int {
	out := []int{}
	for _, r := range rs {
		for row := r.Start.Row; row <= r.End.Row; row++ {
			out = append(out, row)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// percent rounds to one decimal, as the console shows it.
func percent(n, of int) float64 { return math.Round(1000*float64(n)/float64(of)) / 10 }
