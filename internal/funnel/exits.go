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

type exitKey struct {
	d  dims
	k  int
	rc string
}

type exitFromKey struct {
	exitKey
	fr int
}

// exitTally adds up the exit lines of the rows of each group.
type exitTally struct {
	leads map[exitKey]int     // leads per group, exit stage and reason
	rows  map[exitFromKey]int // leads per group, exit stage, reason and stage left from
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
			return t.add(d, text.String, withExits)
		}
		return nil
	}}
}

// add counts n rows of group d whose exits are text.
func (t *exitTally) add(d dims, text string, n int) error {
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 {
			return errBadExits(line)
		}
		k, err1 := strconv.Atoi(f[0])
		fr, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return errBadExits(line)
		}
		key := exitKey{d, k, unescapeReason(f[3])}
		if _, ok := t.leads[key]; !ok {
			t.leads[key] = 0
		}
		if f[2] == "1" {
			t.leads[key] += n
		}
		t.rows[exitFromKey{key, fr}] += n
	}
	return nil
}

// fill adds the tallied exits to their groups, by exit stage and reason, and then stage left
// from (stage ids in order, as the funnel's exits have always been listed).
func (t *exitTally) fill(set *stageSet, group func(dims) *Group) {
	keys := make([]exitFromKey, 0, len(t.rows))
	for k := range t.rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b exitFromKey) int {
		return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.rc, b.rc), cmp.Compare(a.fr, b.fr))
	})
	seen := map[exitKey]bool{}
	for _, k := range keys {
		g := group(k.d)
		stage := set.byID[k.k]
		if stage == nil {
			continue
		}
		if !seen[k.exitKey] {
			seen[k.exitKey] = true
			g.Exits = append(g.Exits, &Exit{Stage: stage.Key, ReasonCode: k.rc, Count: t.leads[k.exitKey]})
		}
		fromKey := ""
		if f := set.byID[k.fr]; f != nil {
			fromKey = f.Key
		}
		g.ExitsFrom = append(g.ExitsFrom, &ExitFrom{FromStage: fromKey, Stage: stage.Key, ReasonCode: k.rc, Count: t.rows[k]})
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
