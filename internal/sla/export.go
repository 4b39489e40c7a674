package sla

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/qualify/qualify/internal/gqlcall"
)

// exportQuery is the GraphQL operation the CSV export runs.
const exportQuery = `query SlaExport($period: FunnelPeriod!, $groupBy: SlaGroupBy) {
  slaReport(period: $period, groupBy: $groupBy) { groups { ownerId ownerName team
    slas { rule stage entered met breached open medianDaysToLeave p90DaysToLeave } } } }`

// ExportHandler serves GET /export/sla.csv?from=&to=&groupBy= (from and to RFC 3339 or
// YYYY-MM-DD; groupBy owner or team): one row per group and rule. Like the funnel export it runs
// the GraphQL query through api with the request's own headers, so authentication, authorisation
// and the row filter are exactly those of slaReport, and the figures are its figures.
func ExportHandler(api func() http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vars, by, err := exportVars(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var result struct {
			Groups []exportGroup `json:"groups"`
		}
		if !gqlcall.Do(w, r, api(), exportQuery, vars, "slaReport", &result) {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="sla.csv"`)
		_ = writeCSV(w, by, result.Groups)
	})
}

// exportGroup is a group as the API returns it: the owner by its global ID, a string.
type exportGroup struct {
	OwnerID   *string `json:"ownerId"`
	OwnerName *string `json:"ownerName"`
	Team      *string `json:"team"`
	SLAs      []Stats `json:"slas"`
}

func exportVars(r *http.Request) (map[string]any, GroupBy, error) {
	q := r.URL.Query()
	period, err := gqlcall.Period(q)
	if err != nil {
		return nil, "", err
	}
	vars := map[string]any{"period": period}
	by := GroupBy(strings.ToUpper(strings.TrimSpace(q.Get("groupBy"))))
	switch by {
	case "":
	case GroupOwner, GroupTeam:
		vars["groupBy"] = by
	default:
		return nil, "", fmt.Errorf("groupBy: %q is neither owner nor team", q.Get("groupBy"))
	}
	return vars, by, nil
}

func writeCSV(w http.ResponseWriter, by GroupBy, groups []exportGroup) error {
	cw := csv.NewWriter(w)
	var head []string
	switch by {
	case GroupOwner:
		head = []string{"owner_id", "owner_name"}
	case GroupTeam:
		head = []string{"team"}
	}
	_ = cw.Write(append(head, "rule", "stage", "entered", "met", "breached", "open", "median_days_to_leave", "p90_days_to_leave"))
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, g := range groups {
		var key []string
		switch by {
		case GroupOwner:
			key = []string{s(g.OwnerID), s(g.OwnerName)}
		case GroupTeam:
			key = []string{s(g.Team)}
		}
		for _, st := range g.SLAs {
			_ = cw.Write(append(append([]string(nil), key...), st.Rule, st.Stage, strconv.Itoa(st.Entered), strconv.Itoa(st.Met),
				strconv.Itoa(st.Breached), strconv.Itoa(st.Open), f(st.MedianDaysToLeave), f(st.P90DaysToLeave)))
		}
	}
	cw.Flush()
	return cw.Error()
}
