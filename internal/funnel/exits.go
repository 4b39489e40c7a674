package funnel

import (
	"cmp"
	"database/sql"
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

// exitJob counts the rows of the cohort per group and exits text: the texts are few (the
// combinations of exits a lead has), so this is one scan and a small hash aggregate.
func (sc *scope) exitJob(in Input, dcols, from, where string, args []any, t *exitTally) job {
	st := sc.stmt()
	st.add(`SELECT `+dcols+`, r.exits, COUNT(*) FROM `+from+where+` AND r.exits IS NOT NULL`+groupBy(in.GroupBy, "r.exits"), args...)
	return job{st, func(rows *sql.Rows) error {
		var d dims
		var text string
		var n int
		if err := rows.Scan(append(d.dest(), &text, &n)...); err != nil {
			return err
		}
		return t.add(d, text, n)
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
