package funnel

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/qualify/qualify/ent"
)

// TestExitTally reads the exit lines as exitLinesSQL writes them: reasons with spaces,
// backslashes and newlines (escaped) come back as they were, only counted lines count leads, a
// kind with no counted line lists 0 leads, and each group adds up only its own rows.
func TestExitTally(t *testing.T) {
	set := &stageSet{byID: map[int]*ent.Stage{3: {Key: "mql"}, 4: {Key: "sal"}, 7: {Key: "lost"}, 8: {Key: "nurture"}}}
	for _, tc := range []struct {
		texts     []string // each tallied twice, for one lead a row
		exits     []Exit
		exitsFrom []ExitFrom
	}{
		{[]string{"7 3 1 no budget"}, []Exit{{"lost", "no budget", 2}}, []ExitFrom{{"mql", "lost", "no budget", 2}}},
		{[]string{"7 3 1 a\\\\b\n7 4 0 a\\\\b"}, []Exit{{"lost", `a\b`, 2}},
			[]ExitFrom{{"mql", "lost", `a\b`, 2}, {"sal", "lost", `a\b`, 2}}},
		{[]string{"8 0 1 line\\nbreak\n8 0 1 "}, []Exit{{"nurture", "", 2}, {"nurture", "line\nbreak", 2}},
			[]ExitFrom{{"", "nurture", "", 2}, {"", "nurture", "line\nbreak", 2}}},
		// A lead that left twice for the same reason counts once (its second line is not
		// counted); a row of another text adds to the same kind.
		{[]string{"7 4 0 x\n7 3 1 x", "7 3 1 x"}, []Exit{{"lost", "x", 4}},
			[]ExitFrom{{"mql", "lost", "x", 4}, {"sal", "lost", "x", 2}}},
		{[]string{"7 4 0 y"}, []Exit{{"lost", "y", 0}}, []ExitFrom{{"sal", "lost", "y", 2}}},
		{[]string{"9 3 1 retired"}, nil, nil}, // a stage no longer in the catalogue
	} {
		tl, g, other := newExitTally(), &Group{}, &Group{}
		if err := tl.add(other, "8 0 1 elsewhere", 5); err != nil {
			t.Fatal(err)
		}
		for _, text := range tc.texts {
			// Twice: the second row of the same text is tallied from the parsed lines.
			for range 2 {
				if err := tl.add(g, text, 1); err != nil {
					t.Fatalf("%q: %v", text, err)
				}
			}
		}
		tl.fill(set)
		var exits []Exit
		var from []ExitFrom
		for _, e := range g.Exits {
			exits = append(exits, *e)
		}
		for _, e := range g.ExitsFrom {
			from = append(from, *e)
		}
		if !reflect.DeepEqual(exits, tc.exits) || !reflect.DeepEqual(from, tc.exitsFrom) {
			t.Errorf("%q: got %v %v, want %v %v", tc.texts, exits, from, tc.exits, tc.exitsFrom)
		}
		if len(other.Exits) != 1 || *other.Exits[0] != (Exit{"nurture", "elsewhere", 5}) {
			t.Errorf("%q: the other group's exits are %v", tc.texts, other.Exits)
		}
	}
	if err := newExitTally().add(&Group{}, "7 x 1 r", 1); err == nil {
		t.Error("a malformed line was accepted")
	}
}

// TestExitsFolded reads a group's exits as exitsFolded writes them: each text after its length
// in bytes and its leads, texts holding colons, digits, newlines and letters of two bytes; and
// refuses a fold cut short or without its counts.
func TestExitsFolded(t *testing.T) {
	set := &stageSet{byID: map[int]*ent.Stage{3: {Key: "mql"}, 7: {Key: "lost"}}}
	a, b := "7 3 1 coût: 2", `7 3 1 x\n:9\\`+"\n7 3 0 y"
	fold := func(text string, n int) string { return strconv.Itoa(len(text)) + ":" + strconv.Itoa(n) + ":" + text }
	tl, g := newExitTally(), &Group{}
	if err := tl.addFolded(g, fold(a, 3)+fold(b, 12)+fold(a, 1)); err != nil {
		t.Fatal(err)
	}
	tl.fill(set)
	var got []Exit
	for _, e := range g.Exits {
		got = append(got, *e)
	}
	want := []Exit{{"lost", "coût: 2", 4}, {"lost", "x\n:9\\", 12}, {"lost", "y", 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{fold(a, 3)[:9], "12:1", "x:1:" + a, "13:-:" + a, "99:1:" + a} {
		if err := newExitTally().addFolded(&Group{}, bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// TestIntCol scans what the drivers hand an integer column: int64, NULL as 0, and anything else
// (a column that is not an integer) as an error, leaving the destination as it was.
func TestIntCol(t *testing.T) {
	n := -1
	for _, tc := range []struct {
		v    any
		want int
	}{{int64(46579), 46579}, {nil, 0}, {int64(-3), -3}} {
		if err := (intCol{&n}).Scan(tc.v); err != nil || n != tc.want {
			t.Errorf("Scan(%v) = %d, %v; want %d", tc.v, n, err, tc.want)
		}
	}
	for _, v := range []any{"12", 1.5, []byte("7")} {
		n = 9
		if err := (intCol{&n}).Scan(v); err == nil || n != 9 {
			t.Errorf("Scan(%#v) = %d, %v; want an error and 9 kept", v, n, err)
		}
	}
}
