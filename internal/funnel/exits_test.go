package funnel

import (
	"reflect"
	"testing"
)

// TestExitTally reads the exit lines as exitLinesSQL writes them: reasons with spaces,
// backslashes and newlines (escaped) come back as they were, and only counted lines count leads.
func TestExitTally(t *testing.T) {
	type from struct {
		exitKind
		fr int
	}
	for _, tc := range []struct {
		text  string
		n     int
		leads map[exitKind]int
		rows  map[from]int
	}{
		{"7 3 1 no budget", 2, map[exitKind]int{{7, "no budget"}: 2}, map[from]int{{exitKind{7, "no budget"}, 3}: 2}},
		{"7 3 1 a\\\\b\n7 4 0 a\\\\b", 1, map[exitKind]int{{7, `a\b`}: 1},
			map[from]int{{exitKind{7, `a\b`}, 3}: 1, {exitKind{7, `a\b`}, 4}: 1}},
		{"8 0 1 line\\nbreak\n8 0 1 ", 3, map[exitKind]int{{8, "line\nbreak"}: 3, {8, ""}: 3},
			map[from]int{{exitKind{8, "line\nbreak"}, 0}: 3, {exitKind{8, ""}, 0}: 3}},
	} {
		tl, g := newExitTally(), &Group{}
		// Twice: the second row of the same text is tallied from the parsed lines.
		for range 2 {
			if err := tl.add(g, tc.text, tc.n); err != nil {
				t.Fatalf("%q: %v", tc.text, err)
			}
		}
		leads, rows := map[exitKind]int{}, map[from]int{}
		for k, n := range tl.leads {
			leads[tl.kinds[k.kind]] = n / 2
		}
		for k, n := range tl.rows {
			rows[from{tl.kinds[k.kind], k.fr}] = n / 2
		}
		if !reflect.DeepEqual(leads, tc.leads) || !reflect.DeepEqual(rows, tc.rows) {
			t.Errorf("%q: got %v %v, want %v %v", tc.text, leads, rows, tc.leads, tc.rows)
		}
	}
	if err := newExitTally().add(&Group{}, "7 x 1 r", 1); err == nil {
		t.Error("a malformed line was accepted")
	}
}
