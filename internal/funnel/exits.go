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

// exitPair is an exit kind (by its index in exitTally.kinds) left from a stage.
type exitPair struct {
	kind, fr int
}

// exitLine is one line of an exits text: its pair's index in exitTally.pairs, and whether it
// counts its leads.
type exitLine struct {
	pair    int
	counted bool
}

// exitTally adds up the exit lines of the rows of each group. The rows are many (46k for a
// funnel by owner and cohort month over a year at 1M leads) and their texts few, so each text
// is parsed once into dense indexes of its kinds and pairs, and each group adds up its rows in
// slices by those indexes: no map is written per line (hashing the group's dimensions and the
// reason text per line had been a third of that answer's Go time, maps keyed by the group and
// the index still a fifth).
type exitTally struct {
	parsed map[string][]exitLine
	kinds  []exitKind
	kindOf map[exitKind]int
	pairs  []exitPair
	pairOf map[exitPair]int
	groups map[*Group]*groupExits
}

// groupExits are a group's tallies: leads by kind, rows (leads by stage left from) by pair.
type groupExits struct {
	leads, rows []int
}

func newExitTally() *exitTally {
	return &exitTally{parsed: map[string][]exitLine{}, kindOf: map[exitKind]int{}, pairOf: map[exitPair]int{},
		groups: map[*Group]*groupExits{}}
}

// countJob counts, in one scan, the leads of the cohort that reached each step per group and,
// with exits, per group and exits text: the texts are few (370 at 1M leads), so the counts of a
// group are the sums over its texts. A separate statement for the exits scanned the rollup a
// second time (a fifth of a funnel's time at 1M leads), and read another snapshot. The rows are
// scanned into the same destinations each time, integers without database/sql's reflection.
//
// With exits, the counts per group and text are folded into one row per group (exitsFolded):
// a funnel by owner and cohort month at 1M leads has 46,579 of those and 2,258 groups. Reading
// each through database/sql (a string and nine boxed integers, then the group's map lookup)
// took 144 ms of the service's CPU an answer, 60 folded; the database's second aggregation
// over them costs it about what sending them did.
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
	var d dims
	var folded sql.NullString
	n := make([]int, len(ids))
	dest := d.destOf(in.GroupBy, false)
	if t == nil {
		st.add(`SELECT `+dcols+strings.Join(counts, ", ")+` FROM `+from+where+groupBy(in.GroupBy), args...)
	} else {
		sums := make([]string, len(ids))
		for i := range counts {
			counts[i] += " AS n" + strconv.Itoa(i)
			sums[i] = "CAST(SUM(n" + strconv.Itoa(i) + ") AS BIGINT)"
		}
		st.add(`SELECT `+dimNames(in.GroupBy)+strings.Join(sums, ", ")+`, `+sc.svc.exitsFolded("x", "xn")+
			` FROM (SELECT `+dcols+`r.exits AS x, COUNT(r.exits) AS xn, `+strings.Join(counts, ", ")+
			` FROM `+from+where+groupBy(in.GroupBy, "r.exits")+`) g`+groupBy(in.GroupBy), args...)
	}
	for i := range n {
		dest = append(dest, intCol{&n[i]})
	}
	if t != nil {
		dest = append(dest, &folded)
	}
	return job{st: st, scan: func(rows *sql.Rows) error {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		g := group(d)
		for i := range n {
			g.Steps[i].Reached += n[i]
		}
		if t != nil && folded.Valid {
			return t.addFolded(g, folded.String)
		}
		return nil
	}}
}

// dimNames are the aliases of dimCols of the grouped dimensions, in the same order, each
// followed by a comma: the columns of a statement over dimCols' rows.
func dimNames(by []Dimension) string {
	var b strings.Builder
	for _, d := range dimOrder {
		if slices.Contains(by, d) {
			b.WriteString(dimAlias[d] + ", ")
		}
	}
	return b.String()
}

// exitsFolded aggregates the exits texts (column text) of a group's rows and their leads
// (column n) into one text, each "<bytes of the text>:<n>:<text>" (addFolded reads it): the
// length prefix needs no separator the texts' reasons could hold. Rows without exits (text
// NULL) are left out, as NULL is by the concatenation.
func (s *Service) exitsFolded(text, n string) string {
	if s.pg() {
		return "string_agg(octet_length(" + text + ") || ':' || " + n + " || ':' || " + text + ", '')"
	}
	return "group_concat(length(CAST(" + text + " AS BLOB)) || ':' || " + n + " || ':' || " + text + ", '')"
}

// addFolded adds the exits of group g folded by exitsFolded.
func (t *exitTally) addFolded(g *Group, folded string) error {
	for rest := folded; rest != ""; {
		size, after, ok1 := strings.Cut(rest, ":")
		count, after, ok2 := strings.Cut(after, ":")
		bytes, err1 := strconv.Atoi(size)
		n, err2 := strconv.Atoi(count)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || bytes < 0 || bytes > len(after) {
			return fmt.Errorf("funnel: malformed folded exits at %q", rest[:min(len(rest), 40)])
		}
		if err := t.add(g, after[:bytes], n); err != nil {
			return err
		}
		rest = after[bytes:]
	}
	return nil
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
	ge := t.groups[g]
	if ge == nil {
		ge = &groupExits{}
		t.groups[g] = ge
	}
	if len(ge.rows) < len(t.pairs) {
		ge.leads = append(ge.leads, make([]int, len(t.kinds)-len(ge.leads))...)
		ge.rows = append(ge.rows, make([]int, len(t.pairs)-len(ge.rows))...)
	}
	for _, l := range lines {
		if l.counted {
			ge.leads[t.pairs[l.pair].kind] += n
		}
		ge.rows[l.pair] += n
	}
	return nil
}

// parse reads an exits text into its lines, interning their kinds and pairs.
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
		ki, ok := t.kindOf[kind]
		if !ok {
			ki = len(t.kinds)
			t.kinds = append(t.kinds, kind)
			t.kindOf[kind] = ki
		}
		pair := exitPair{ki, fr}
		pi, ok := t.pairOf[pair]
		if !ok {
			pi = len(t.pairs)
			t.pairs = append(t.pairs, pair)
			t.pairOf[pair] = pi
		}
		lines = append(lines, exitLine{pair: pi, counted: f[2] == "1"})
	}
	return lines, nil
}

// fill adds the tallied exits to their groups, by exit stage and reason, and then stage left
// from (stage ids in order, as the funnel's exits have always been listed). A kind is listed
// when a row of the group has a line of it, with 0 leads when none counted.
func (t *exitTally) fill(set *stageSet) {
	order := make([]int, len(t.pairs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := t.kinds[t.pairs[a].kind], t.kinds[t.pairs[b].kind]
		return cmp.Or(cmp.Compare(x.k, y.k), cmp.Compare(x.rc, y.rc), cmp.Compare(t.pairs[a].fr, t.pairs[b].fr))
	})
	for g, ge := range t.groups {
		listed := -1
		for _, pi := range order {
			if pi >= len(ge.rows) || ge.rows[pi] == 0 {
				continue
			}
			p := t.pairs[pi]
			kind := t.kinds[p.kind]
			stage := set.byID[kind.k]
			if stage == nil {
				continue
			}
			if p.kind != listed {
				listed = p.kind
				g.Exits = append(g.Exits, &Exit{Stage: stage.Key, ReasonCode: kind.rc, Count: ge.leads[p.kind]})
			}
			fromKey := ""
			if f := set.byID[p.fr]; f != nil {
				fromKey = f.Key
			}
			g.ExitsFrom = append(g.ExitsFrom, &ExitFrom{FromStage: fromKey, Stage: stage.Key, ReasonCode: kind.rc, Count: ge.rows[pi]})
		}
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
