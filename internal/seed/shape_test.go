package seed_test

import (
	"slices"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
)

// checkShape asserts the data set looks like a real funnel: conversion between neighbouring
// stages within realistic bands, every source and buying role present, exits with reasons,
// and the odd skipped stage, re-activation and correction.
func checkShape(t *testing.T, d *dataset) {
	n := float64(len(d.leads))
	rates := []struct {
		from, to string
		lo, hi   float64
	}{
		{"", "mql", 0.35, 0.45},
		{"mql", "sal", 0.35, 0.55},
		{"sal", "sql", 0.38, 0.62},
		{"sql", "opportunity", 0.32, 0.58},
		{"opportunity", "customer", 0.15, 0.40},
	}
	for _, r := range rates {
		base := n
		if r.from != "" {
			base = float64(d.reached(r.from))
		}
		got := float64(d.reached(r.to)) / base
		t.Logf("%s→%s: %.1f%% (%d → %d)", r.from, r.to, 100*got, int(base), d.reached(r.to))
		if got < r.lo || got > r.hi {
			t.Errorf("conversion %s→%s = %.3f, want within [%.2f, %.2f]", r.from, r.to, got, r.lo, r.hi)
		}
	}

	sources := map[lead.Source]int{}
	for _, l := range d.leads {
		sources[l.Source]++
	}
	for _, s := range []lead.Source{lead.SourceWEB_FORM, lead.SourceNEWSLETTER, lead.SourceTRADE_FAIR,
		lead.SourceDIRECTORY, lead.SourceREFERRAL, lead.SourcePAID_AD, lead.SourceSOCIAL, lead.SourceOUTBOUND, lead.SourcePARTNER} {
		if sources[s] == 0 {
			t.Errorf("no lead from source %s", s)
		}
	}
	roles := map[contact.BuyingRole]int{}
	for _, c := range d.contacts {
		roles[c.BuyingRole]++
	}
	for _, r := range []contact.BuyingRole{contact.BuyingRoleDECISION_MAKER, contact.BuyingRoleRECOMMENDER,
		contact.BuyingRoleINFLUENCER, contact.BuyingRoleUSER, contact.BuyingRoleGATEKEEPER, contact.BuyingRoleUNKNOWN} {
		if roles[r] == 0 {
			t.Errorf("no contact with buying role %s", r)
		}
	}

	reasons := map[string]int{}
	var skips, reactivations, backs int
	for _, ms := range d.moves {
		for _, m := range ms {
			to := d.stages[m.ToStageID]
			if to.Key == "disqualified" {
				reasons[m.ReasonCode]++
			}
			if m.FromStageID == nil {
				continue
			}
			from := d.stages[*m.FromStageID]
			switch {
			case from.Key == "nurture":
				reactivations++
			case d.funnel(from.ID) && d.funnel(to.ID) && to.Position > from.Position+1:
				skips++
			case d.funnel(from.ID) && d.funnel(to.ID) && to.Position < from.Position:
				backs++
			}
		}
	}
	for _, code := range []string{"no_budget", "no_need", "bad_fit", "competitor", "duplicate", "unreachable"} {
		if reasons[code] == 0 {
			t.Errorf("no lead disqualified for %s", code)
		}
	}
	t.Logf("skipped stages %d, re-activations %d, backward moves %d, disqualified %v", skips, reactivations, backs, reasons)
	if skips == 0 || reactivations == 0 || backs == 0 {
		t.Errorf("want some skipped stages (%d), re-activations (%d) and backward moves (%d)", skips, reactivations, backs)
	}
	checkTiming(t, d)
	if backs > len(d.leads)/50 {
		t.Errorf("%d backward moves in %d leads, want a few", backs, len(d.leads))
	}
}

// checkTiming asserts the median stay before each forward move is days to weeks, and that the
// policy parks leads in nurture only after 90 quiet days.
func checkTiming(t *testing.T, d *dataset) {
	stays := map[[2]string][]time.Duration{}
	for _, ms := range d.moves {
		for _, m := range ms[1:] {
			k := [2]string{d.stages[*m.FromStageID].Key, d.stages[m.ToStageID].Key}
			stays[k] = append(stays[k], m.OccurredAt.Sub(*m.FromEnteredAt))
		}
	}
	const day = 24 * time.Hour
	bands := []struct {
		from, to string
		lo, hi   time.Duration
	}{
		{"lead", "mql", 2 * day, 12 * day},
		{"mql", "sal", 2 * day, 10 * day},
		{"sal", "sql", 4 * day, 18 * day},
		{"sql", "opportunity", 7 * day, 25 * day},
		{"opportunity", "customer", 20 * day, 75 * day},
		{"lead", "nurture", 90 * day, 93 * day},
	}
	for _, b := range bands {
		v := stays[[2]string{b.from, b.to}]
		if len(v) == 0 {
			t.Errorf("no move %s→%s", b.from, b.to)
			continue
		}
		slices.Sort(v)
		med := v[len(v)/2]
		t.Logf("%s→%s: median %.1f days over %d moves", b.from, b.to, med.Hours()/24, len(v))
		if med < b.lo || med > b.hi {
			t.Errorf("median time %s→%s = %v, want within [%v, %v]", b.from, b.to, med, b.lo, b.hi)
		}
	}
}
