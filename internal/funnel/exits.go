package funnel

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A FunnelLead row holds its lead's exits as text (exitLinesSQL): one line per exit stage,
// reason code and stage left from, "<stage id> <from stage id or 0> <counted 1|0> <reason>",
// the reason with backslash and newline escaped. Counted is 1 on one line per stage and reason,
// so adding up the counted lines counts leads.

// exitKind is an exit stage and reason.
type exitKind struct {
	k  int
	rc string
}

// exitLine is one line of an exits text, its kind interned (exitTally.kinds).
type exitLine struct {
	kind, fr int
	counted  bool
}

// exitAt is an exit kind in a group; exitFromAt adds the stage left from.
type exitAt struct {
	g    *Group
	kind int
}

type exitFromAt struct {
	exitAt
	fr int
}

// exitTally adds up the exit lines of the rows of each group. The rows are many (32k for a
// funnel by owner and source at 1M leads) and their texts few, so each text is parsed once and
// the tallies are keyed by the group's pointer and the interned kind rather than by the
// group's dimensions and the reason text: hashing those was a third of that answer's Go time.
type exitTally struct {
	parsed map[string][]exitLine
	kinds  []exitKind
	kindOf map[exitKind]int
	leads  map[exitAt]int     // leads per group, exit stage and reason
	rows   map[exitFromAt]int // leads per group, exit stage, reason and stage left from
}

func newExitTally() *exitTally {
	return &exitTally{parsed: map[string][]exitLine{}, kindOf: map[exitKind]int{}, leads: map[exitAt]int{}, rows: map[exitFromAt]int{}}
}

// countJob counts, in one scan, the leads of the cohort that reached each step per group and,
// with exits, per group and exits text: the texts are few (373 at 1M leads), so the grouping
// stays a small hash aggregate, and the counts of a group are the sums over its texts. A
// separate statement for the exits scanned the rollup a second time (a fifth of a funnel's
// time at 1M leads), and read another snapshot.
func (sc *scope) countJob(in Input, ids []int, first int, dcols, from, where string, args []any, group func(dims) *Group, t *exitTally) job {
	counts := make([]string, len(ids))
	for i, id := range ids {
		c := sc.col("r", 'r', id)
		counts[i] = "COUNT(" + c + ")"
		if in.WindowDays != nil && i > 0 {
			counts[i] = fmt.Sprintf("COUNT(CASE WHEN %s - %s <= %d THEN 1 END)", c, sc.col("r", 'r', first), *in.WindowDays*86400)
		}
	}
	st := sc.stmt()
	ex, by := "CAST(NULL AS TEXT), COUNT(*)", groupBy(in.GroupBy)
	if t != nil {
		ex, by = "r.exits, COUNT(r.exits)", groupBy(in.GroupBy, "r.exits")
	}
	st.add(`SELECT `+dcols+`, `+ex+`, `+strings.Join(counts, ", ")+` FROM `+from+where+by, args...)
	return job{st: st, scan: func(rows *sql.Rows) error {
		var d dims
		var text sql.NullString
		var withExits int
		n := make([]int, len(ids))
		dest := append(d.dest(), &text, &withExits)
		for i := range n {
			dest = append(dest, &n[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		g := group(d)
		for i := range n {
			g.Steps[i].Reached += n[i]
		}
		if t != nil && text.Valid {
			return t.add(g, text.String, withExits)
		}
		return nil
	}}
}

// add counts n rows of group g whose exits are text.
func (t *exitTally) add(g *Group, text string, n int) error {
	lines, ok := t.parsed[text]
	if !ok {
		var err error
		if lines, err = t.parse(text); err != nil {
			return err
		}
		t.parsed[text] = lines
	}
	for _, l := range lines {
		at := exitAt{g, l.kind}
		c := t.leads[at] // a kind with no counted line still lists, with 0 leads
		if l.counted {
			c += n
		}
		t.leads[at] = c
		t.rows[exitFromAt{at, l.fr}] += n
	}
	return nil
}

// parse reads an exits text into its lines.
func (t *exitTally) parse(text string) ([]exitLine, error) {
	var lines []exitLine
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 {
			return nil, errBadExits(line)
		}
		k, err1 := strconv.Atoi(f[0])
		fr, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return nil, errBadExits(line)
		}
		kind := exitKind{k, unescapeReason(f[3])}
		i, ok := t.kindOf[kind]
		if !ok {
			i = len(t.kinds)
			t.kinds = append(t.kinds, kind)
			t.kindOf[kind] = i
		}
		lines = append(lines, exitLine{kind: i, fr: fr, counted: f[2] == "1"})
	}
	return lines, nil
}

// fill adds the tallied exits to their groups, by exit stage and reason, and then stage left
// from (stage ids in order, as the funnel's exits have always been listed).
func (t *exitTally) fill(set *stageSet) {
	keys := make([]exitFromAt, 0, len(t.rows))
	for k := range t.rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b exitFromAt) int {
		x, y := t.kinds[a.kind], t.kinds[b.kind]
		return cmp.Or(cmp.Compare(x.k, y.k), cmp.Compare(x.rc, y.rc), cmp.Compare(a.fr, b.fr))
	})
	seen := map[exitAt]bool{}
	for _, k := range keys {
		kind := t.kinds[k.kind]
		stage := set.byID[kind.k]
		if stage == nil {
			continue
		}
		if !seen[k.exitAt] {
			seen[k.exitAt] = true
			k.g.Exits = append(k.g.Exits, &Exit{Stage: stage.Key, ReasonCode: kind.rc, Count: t.leads[k.exitAt]})
		}
		fromKey := ""
		if f := set.byID[k.fr]; f != nil {
			fromKey = f.Key
		}
		k.g.ExitsFrom = append(k.g.ExitsFrom, &ExitFrom{FromStage: fromKey, Stage: stage.Key, ReasonCode: kind.rc, Count: t.rows[k]})
	}
}

// unescapeReason undoes the escaping of exitLinesSQL: "\\" is a backslash, "\n" a newline.
func unescapeReason(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type errBadExits string

func (e errBadExits) Error() string {
	return "funnel: malformed exits line " + strconv.Quote(string(e))
}
