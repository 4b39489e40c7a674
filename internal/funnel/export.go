package funnel

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/qualify/qualify/internal/gqlcall"
)

// exportQuery is the GraphQL operation the CSV export runs.
const exportQuery = `query FunnelExport($input: FunnelInput!) { funnel(input: $input) { percentiles percentileSampleRate
  groups { source ownerId ownerName team industry region cohortMonth ownerAtReachId ownerAtReachName teamAtReach
    steps { stage reached conversionFromPrevious conversionFromFirst medianDaysToNext p90DaysToNext }
    exits { stage reasonCode count } } } }`

// ExportHandler serves GET /export/funnel.csv?from=&to=&stages=&cohort=&groupBy=&where=&exact=
// (stages and groupBy comma-separated or repeated; from and to RFC 3339 or YYYY-MM-DD; where the
// JSON of a LeadWhereInput; exact true for exact percentiles). Being the funnel query, it reads
// the aggregate whenever the funnel query would. It runs the funnel query through api, the GraphQL endpoint, with the
// request's own headers, so authentication, authorisation and row filters are exactly those of
// the GraphQL query. api is called per request, so it may be built after the handler.
func ExportHandler(api func() http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		input, by, err := exportInput(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var result *exportResult
		if !gqlcall.Do(w, r, api(), exportQuery, map[string]any{"input": input}, "funnel", &result) {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="funnel.csv"`)
		// How the median and p90 columns were computed (the CSV has no place for it).
		percentiles := string(result.Percentiles)
		if result.PercentileSampleRate != nil {
			percentiles += "; rate=" + strconv.FormatFloat(*result.PercentileSampleRate, 'f', -1, 64)
		}
		w.Header().Set("Qualify-Percentiles", percentiles)
		_ = writeCSV(w, by, result)
	})
}

// exportInput reads the query parameters into the GraphQL FunnelInput variables.
func exportInput(r *http.Request) (map[string]any, []Dimension, error) {
	q := r.URL.Query()
	period, err := gqlcall.Period(q)
	if err != nil {
		return nil, nil, err
	}
	in := map[string]any{"period": period}
	if st := list(q["stages"]); len(st) > 0 {
		in["stages"] = st
	}
	var by []Dimension
	for _, d := range list(q["groupBy"]) {
		by = append(by, Dimension(strings.ToUpper(d)))
	}
	if len(by) > 0 {
		in["groupBy"] = by
	}
	if c := q.Get("cohort"); c != "" {
		in["cohort"] = strings.ToUpper(c)
	}
	if e := q.Get("exact"); e != "" {
		exact, err := strconv.ParseBool(e)
		if err != nil {
			return nil, nil, fmt.Errorf("exact: %w", err)
		}
		in["exact"] = exact
	}
	if w := q.Get("where"); w != "" {
		var raw json.RawMessage
		if err := json.Unmarshal([]byte(w), &raw); err != nil {
			return nil, nil, fmt.Errorf("where: %w", err)
		}
		in["where"] = raw
	}
	return in, by, nil
}

func list(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// writeCSV writes one row per step and one per exit of each group.
func writeCSV(w http.ResponseWriter, by []Dimension, res *exportResult) error {
	cw := csv.NewWriter(w)
	head := []string{"row"}
	for _, d := range by {
		head = append(head, strings.ToLower(string(d)))
		switch d {
		case DimOwner:
			head = append(head, "owner_name")
		case DimOwnerAtReach:
			head = append(head, "owner_at_reach_name")
		}
	}
	head = append(head, "stage", "reason_code", "count", "conversion_from_previous", "conversion_from_first",
		"median_days_to_next", "p90_days_to_next")
	_ = cw.Write(head)
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, g := range res.Groups {
		key := keyValues(by, g.GroupKey, g.OwnerID, g.OwnerAtReachID)
		for _, s := range g.Steps {
			_ = cw.Write(append(append([]string{"step"}, key...), s.Stage, "", strconv.Itoa(s.Reached),
				f(s.ConversionFromPrevious), f(s.ConversionFromFirst), f(s.MedianDaysToNext), f(s.P90DaysToNext)))
		}
		for _, e := range g.Exits {
			_ = cw.Write(append(append([]string{"exit"}, key...), e.Stage, e.ReasonCode, strconv.Itoa(e.Count), "", "", "", ""))
		}
	}
	cw.Flush()
	return cw.Error()
}

func keyValues(by []Dimension, k GroupKey, ownerID, ownerAtReachID *string) []string {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out := make([]string, 0, len(by))
	for _, d := range by {
		switch d {
		case DimSource:
			out = append(out, s(k.Source))
		case DimOwner:
			out = append(out, s(ownerID), s(k.OwnerName))
		case DimTeam:
			out = append(out, s(k.Team))
		case DimIndustry:
			out = append(out, s(k.Industry))
		case DimRegion:
			out = append(out, s(k.Region))
		case DimCohortMonth:
			out = append(out, s(k.CohortMonth))
		case DimOwnerAtReach:
			out = append(out, s(ownerAtReachID), s(k.OwnerAtReachName))
		case DimTeamAtReach:
			out = append(out, s(k.TeamAtReach))
		default:
			out = append(out, "")
		}
	}
	return out
}

// exportResult is the funnel as the API returns it: owners by their global ID, a string.
type exportResult struct {
	Percentiles          PercentileMethod `json:"percentiles"`
	PercentileSampleRate *float64         `json:"percentileSampleRate"`
	Groups               []*struct {
		Group
		OwnerID        *string `json:"ownerId"`        // shadows GroupKey.OwnerID
		OwnerAtReachID *string `json:"ownerAtReachId"` // shadows GroupKey.OwnerAtReachID
	} `json:"groups"`
}
