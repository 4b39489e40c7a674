package funnel

import (
	"reflect"
	"testing"
)

// TestExitTally reads the exit lines as exitLinesSQL writes them: reasons with spaces,
// backslashes and newlines (escaped) come back as they were, and only counted lines count leads.
func TestExitTally(t *testing.T) {
	d := dims{source: "WEB"}
	for _, tc := range []struct {
		text  string
		n     int
		leads map[exitKey]int
		rows  map[exitFromKey]int
	}{
		{"7 3 1 no budget", 2, map[exitKey]int{{d, 7, "no budget"}: 2}, map[exitFromKey]int{{exitKey{d, 7, "no budget"}, 3}: 2}},
		{"7 3 1 a\\\\b\n7 4 0 a\\\\b", 1, map[exitKey]int{{d, 7, `a\b`}: 1},
			map[exitFromKey]int{{exitKey{d, 7, `a\b`}, 3}: 1, {exitKey{d, 7, `a\b`}, 4}: 1}},
		{"8 0 1 line\\nbreak\n8 0 1 ", 3, map[exitKey]int{{d, 8, "line\nbreak"}: 3, {d, 8, ""}: 3},
			map[exitFromKey]int{{exitKey{d, 8, "line\nbreak"}, 0}: 3, {exitKey{d, 8, ""}, 0}: 3}},
	} {
		tl := &exitTally{leads: map[exitKey]int{}, rows: map[exitFromKey]int{}}
		if err := tl.add(d, tc.text, tc.n); err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if !reflect.DeepEqual(tl.leads, tc.leads) || !reflect.DeepEqual(tl.rows, tc.rows) {
			t.Errorf("%q: got %v %v, want %v %v", tc.text, tl.leads, tl.rows, tc.leads, tc.rows)
		}
	}
	tl := &exitTally{leads: map[exitKey]int{}, rows: map[exitFromKey]int{}}
	if err := tl.add(d, "7 x 1 r", 1); err == nil {
		t.Error("a malformed line was accepted")
	}
}
