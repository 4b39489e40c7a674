package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/qualify/qualify/internal/irvm"
)

// Decisions are decoded from plan values (irvm.Value) directly and strictly: a key the contract does not know,
// a missing required key or a value of the wrong type is an error naming its path, e.g.
// "bant.confirmed: want an integer, got string". Optional keys are those whose absence has a
// meaning in contract.go (omitempty fields, a reason's points).

// field decodes one key of an object into *T.
type field[T any] struct {
	name     string
	required bool
	set      func(*T, irvm.Value) error
}

// pathError accumulates the path of a decoding error while it unwinds.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func under(seg string, err error) error {
	if pe, ok := err.(*pathError); ok {
		if pe.path == "" || strings.HasPrefix(pe.path, "[") {
			pe.path = seg + pe.path
		} else {
			pe.path = seg + "." + pe.path
		}
		return pe
	}
	return &pathError{path: seg, msg: err.Error()}
}

func wrongType(want string, v irvm.Value) error {
	a := irvm.ToAST(v)
	got := ast.ValueName(a)
	if s, ok := a.(ast.String); ok {
		got += " " + strconv.Quote(string(s))
	} else if n, ok := a.(ast.Number); ok {
		got += " " + string(n)
	}
	return &pathError{msg: "want " + want + ", got " + got}
}

func decodeObject[T any](v irvm.Value, fields []field[T], dst *T) error {
	o, ok := v.(*irvm.Object)
	if !ok {
		return wrongType("an object", v)
	}
	var seen uint64 // fields has fewer than 64 entries
	for j := range o.Len() {
		k, val := o.Item(j)
		ks, ok := k.(string)
		if !ok {
			return &pathError{msg: "key " + irvm.ToAST(k).String() + " is not a string"}
		}
		i := indexOf(fields, ks)
		if i < 0 {
			return &pathError{msg: fmt.Sprintf("unexpected key %q (not in contract.go)", ks)}
		}
		seen |= 1 << i
		if e := fields[i].set(dst, val); e != nil {
			return under(ks, e)
		}
	}
	for i, f := range fields {
		if f.required && seen&(1<<i) == 0 {
			return &pathError{msg: fmt.Sprintf("missing key %q", f.name)}
		}
	}
	return nil
}

func indexOf[T any](fields []field[T], name string) int {
	for i := range fields {
		if fields[i].name == name {
			return i
		}
	}
	return -1
}

// decodeArray accepts sets too: `reasons contains r if …` is idiomatic Rego, and a set reaches
// JSON clients as an array in sorted order, which is what it becomes here.
func decodeArray[T any](v irvm.Value, elem func(*T, irvm.Value) error) ([]T, error) {
	var at func(int) irvm.Value
	var n int
	switch x := v.(type) {
	case *irvm.Array:
		at, n = x.Elem, x.Len()
	case *irvm.Set:
		at, n = x.Elem, x.Len()
	default:
		return nil, wrongType("an array", v)
	}
	out := make([]T, n)
	for i := range out {
		if err := elem(&out[i], at(i)); err != nil {
			return nil, under("["+strconv.Itoa(i)+"]", err)
		}
	}
	return out, nil
}

func setString(dst *string, v irvm.Value) error {
	s, ok := v.(string)
	if !ok {
		return wrongType("a string", v)
	}
	*dst = s
	return nil
}

func setBool(dst *bool, v irvm.Value) error {
	b, ok := v.(bool)
	if !ok {
		return wrongType("a boolean", v)
	}
	*dst = b
	return nil
}

// setInt accepts integral numbers in any spelling ("12", "12.0", "1.2e1"); 12.5 is an error, not 12.
func setInt(dst *int, v irvm.Value) error {
	if i, ok := v.(int64); ok && int64(int(i)) == i {
		*dst = int(i)
		return nil
	}
	n, ok := v.(ast.Number)
	if !ok {
		return wrongType("an integer", v)
	}
	if i, ok := n.Int(); ok {
		*dst = i
		return nil
	}
	f, ok := n.Float64()
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return wrongType("an integer", v)
	}
	*dst = int(f)
	return nil
}

func str[T any](name string, required bool, get func(*T) *string) field[T] {
	return field[T]{name, required, func(d *T, v irvm.Value) error { return setString(get(d), v) }}
}

func integer[T any](name string, required bool, get func(*T) *int) field[T] {
	return field[T]{name, required, func(d *T, v irvm.Value) error { return setInt(get(d), v) }}
}

func boolean[T any](name string, required bool, get func(*T) *bool) field[T] {
	return field[T]{name, required, func(d *T, v irvm.Value) error { return setBool(get(d), v) }}
}

func reasons[T any](name string, required bool, get func(*T) *[]Reason) field[T] {
	return field[T]{name, required, func(d *T, v irvm.Value) (err error) {
		*get(d), err = decodeArray(v, decodeReason)
		return err
	}}
}

const req, opt = true, false

var reasonFields = []field[Reason]{
	str("code", req, func(r *Reason) *string { return &r.Code }),
	str("message", req, func(r *Reason) *string { return &r.Message }),
	integer("points", opt, func(r *Reason) *int { return &r.Points }),
}

func decodeReason(r *Reason, v irvm.Value) error { return decodeObject(v, reasonFields, r) }

var bantFields = []field[BANT]{
	str("budget", req, func(b *BANT) *string { return &b.Budget }),
	str("authority", req, func(b *BANT) *string { return &b.Authority }),
	str("need", req, func(b *BANT) *string { return &b.Need }),
	str("timing", req, func(b *BANT) *string { return &b.Timing }),
	integer("confirmed", req, func(b *BANT) *int { return &b.Confirmed }),
	str("status", req, func(b *BANT) *string { return &b.Status }),
}

var coverageFields = []field[Coverage]{
	boolean("decision_maker", req, func(c *Coverage) *bool { return &c.DecisionMaker }),
	boolean("recommender", req, func(c *Coverage) *bool { return &c.Recommender }),
	boolean("influencer", req, func(c *Coverage) *bool { return &c.Influencer }),
}

var leadDecisionFields = []field[LeadDecision]{
	integer("fit_score", req, func(d *LeadDecision) *int { return &d.FitScore }),
	integer("engagement_score", req, func(d *LeadDecision) *int { return &d.EngagementScore }),
	integer("score", req, func(d *LeadDecision) *int { return &d.Score }),
	str("grade", req, func(d *LeadDecision) *string { return &d.Grade }),
	str("temperature", req, func(d *LeadDecision) *string { return &d.Temperature }),
	{"bant", req, func(d *LeadDecision, v irvm.Value) error { return decodeObject(v, bantFields, &d.BANT) }},
	{"coverage", req, func(d *LeadDecision, v irvm.Value) error { return decodeObject(v, coverageFields, &d.Coverage) }},
	boolean("project_signal", req, func(d *LeadDecision) *bool { return &d.ProjectSignal }),
	str("stage", req, func(d *LeadDecision) *string { return &d.Stage }),
	str("disqualify_reason_code", opt, func(d *LeadDecision) *string { return &d.DisqualifyReasonCode }),
	reasons("reasons", req, func(d *LeadDecision) *[]Reason { return &d.Reasons }),
}

func decodeLeadDecision(v irvm.Value) (d LeadDecision, err error) {
	return d, decodeObject(v, leadDecisionFields, &d)
}

var transitionDecisionFields = []field[TransitionDecision]{
	boolean("allow", req, func(d *TransitionDecision) *bool { return &d.Allow }),
	reasons("reasons", req, func(d *TransitionDecision) *[]Reason { return &d.Reasons }),
}

func decodeTransitionDecision(v irvm.Value) (d TransitionDecision, err error) {
	return d, decodeObject(v, transitionDecisionFields, &d)
}

var routingDecisionFields = []field[RoutingDecision]{
	str("team", req, func(d *RoutingDecision) *string { return &d.Team }),
	str("role", req, func(d *RoutingDecision) *string { return &d.Role }),
	reasons("reasons", req, func(d *RoutingDecision) *[]Reason { return &d.Reasons }),
	{"fallback", opt, func(d *RoutingDecision, v irvm.Value) (err error) {
		d.Fallback, err = decodeArray(v, setString)
		return err
	}},
}

func decodeRoutingDecision(v irvm.Value) (d RoutingDecision, err error) {
	return d, decodeObject(v, routingDecisionFields, &d)
}

var authzDecisionFields = []field[AuthzDecision]{
	boolean("allow", req, func(d *AuthzDecision) *bool { return &d.Allow }),
	str("reason", opt, func(d *AuthzDecision) *string { return &d.Reason }),
	str("row_filter", req, func(d *AuthzDecision) *string { return &d.RowFilter }),
	{"redact", req, func(d *AuthzDecision, v irvm.Value) (err error) {
		d.Redact, err = decodeArray(v, setString)
		return err
	}},
}

func decodeAuthzDecision(v irvm.Value) (d AuthzDecision, err error) {
	return d, decodeObject(v, authzDecisionFields, &d)
}

var scheduleMoveFields = []field[ScheduleMove]{
	str("to", req, func(m *ScheduleMove) *string { return &m.To }),
	str("reason_code", req, func(m *ScheduleMove) *string { return &m.ReasonCode }),
	str("rule", req, func(m *ScheduleMove) *string { return &m.Rule }),
}

var escalationFields = []field[Escalation]{
	str("rule", req, func(e *Escalation) *string { return &e.Rule }),
	str("action", req, func(e *Escalation) *string { return &e.Action }),
	str("due_at", req, func(e *Escalation) *string { return &e.DueAt }),
}

var scheduleDecisionFields = []field[ScheduleDecision]{
	boolean("rescore", req, func(d *ScheduleDecision) *bool { return &d.Rescore }),
	{"move", opt, func(d *ScheduleDecision, v irvm.Value) error {
		d.Move = &ScheduleMove{}
		return decodeObject(v, scheduleMoveFields, d.Move)
	}},
	{"escalations", req, func(d *ScheduleDecision, v irvm.Value) (err error) {
		d.Escalations, err = decodeArray(v, func(e *Escalation, v irvm.Value) error { return decodeObject(v, escalationFields, e) })
		return err
	}},
	str("next_review_at", req, func(d *ScheduleDecision) *string { return &d.NextReviewAt }),
	reasons("reasons", req, func(d *ScheduleDecision) *[]Reason { return &d.Reasons }),
}

func decodeScheduleDecision(v irvm.Value) (d ScheduleDecision, err error) {
	return d, decodeObject(v, scheduleDecisionFields, &d)
}

var stageFields = []field[Stage]{
	str("key", req, func(s *Stage) *string { return &s.Key }),
	str("name", req, func(s *Stage) *string { return &s.Name }),
	integer("position", req, func(s *Stage) *int { return &s.Position }),
	str("kind", req, func(s *Stage) *string { return &s.Kind }),
}

func decodeStages(v irvm.Value) ([]Stage, error) {
	return decodeArray(v, func(s *Stage, v irvm.Value) error { return decodeObject(v, stageFields, s) })
}
