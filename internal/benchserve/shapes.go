package benchserve

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
)

// The shapes measured, in the order they run: the two reads, then the write (which changes the
// data the reads would see).
const (
	ShapeNode     = "node"
	ShapeList     = "list"
	ShapeActivity = "createActivity"
)

// Shapes are every shape, in run order.
var Shapes = []string{ShapeNode, ShapeList, ShapeActivity}

const (
	qualifyNode = `query Node($id: ID!) { node(id: $id) { ... on Lead { id firstName lastName email companyName score stage { key name } } } }`
	qualifyList = `query Page { leads(first: 50) { totalCount edges { node { id lastName account { name domain } contacts(first: 5) { edges { node { email buyingRole } } } stage { key name } } } } }`
	qualifyAct  = `mutation Act($lead: ID!) { createActivity(input: {leadID: $lead, kind: WEB_VISIT}) { id kind } }`

	// PostGraphile's default inflection of the same tables; turned into Qualify's shape by fromPostGraphile.
	pgNode = `query Node($id: BigInt!) { leadById(id: $id) { id firstName lastName email companyName score stageByStageId { key name } } }`
	pgList = `query Page { allLeads(first: 50, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { id lastName accountByAccountId { name domain } leadContactsByLeadId(first: 5, orderBy: PRIMARY_KEY_ASC) { nodes { contactByContactId { email buyingRole } } } stageByStageId { key name } } } }`
)

// body is a GraphQL POST body.
func body(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// target is one server under test.
type target struct {
	name string
	url  func(shape string) string
	// request is worker w's i-th request body of shape; leads are the lead ids to pick from.
	request func(shape string, leads []int64, w, i int) []byte
	header  map[string]string
}

// pick is a lead id for worker w's i-th request: the same sequence for every server.
func pick(leads []int64, w, i int) int64 {
	r := rand.New(rand.NewPCG(uint64(w), uint64(i)))
	return leads[r.IntN(len(leads))]
}

func graphqlRequest(shape string, leads []int64, w, i int) []byte {
	switch shape {
	case ShapeNode:
		return body(qualifyNode, map[string]any{"id": strconv.FormatInt(pick(leads, w, i), 10)})
	case ShapeList:
		return body(qualifyList, nil)
	default:
		return body(qualifyAct, map[string]any{"lead": strconv.FormatInt(pick(leads, w, i), 10)})
	}
}

func postgraphileRequest(shape string, leads []int64, w, i int) []byte {
	if shape == ShapeNode {
		return body(pgNode, map[string]any{"id": strconv.FormatInt(pick(leads, w, i), 10)})
	}
	return body(pgList, nil)
}

// normalize decodes an answer's data into Qualify's shape, so answers compare with ==.
func normalize(server, shape string, raw []byte) (string, error) {
	var r struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("%s: %w: %.200s", server, err, raw)
	}
	if len(r.Errors) > 0 || r.Data == nil {
		return "", fmt.Errorf("%s: errors: %.300s", server, raw)
	}
	data := r.Data
	if server == "postgraphile" {
		data = fromPostGraphile(shape, data)
	}
	sortContacts(data)
	b, err := json.Marshal(data)
	return string(b), err
}

func fromPostGraphile(shape string, data map[string]any) map[string]any {
	lead := func(l map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range l {
			switch k {
			case "id":
				out["id"] = fmt.Sprint(v)
			case "score": // bigint: a string in PostGraphile, an Int in Qualify
				n, _ := strconv.ParseFloat(fmt.Sprint(v), 64)
				out["score"] = n
			case "stageByStageId":
				out["stage"] = v
			case "accountByAccountId":
				out["account"] = v
			case "leadContactsByLeadId":
				edges := []any{}
				for _, n := range v.(map[string]any)["nodes"].([]any) {
					edges = append(edges, map[string]any{"node": n.(map[string]any)["contactByContactId"]})
				}
				out["contacts"] = map[string]any{"edges": edges}
			default:
				out[k] = v
			}
		}
		return out
	}
	if shape == ShapeNode {
		n, _ := data["leadById"].(map[string]any)
		return map[string]any{"node": lead(n)}
	}
	all := data["allLeads"].(map[string]any)
	edges := []any{}
	for _, n := range all["nodes"].([]any) {
		edges = append(edges, map[string]any{"node": lead(n.(map[string]any))})
	}
	return map[string]any{"leads": map[string]any{"totalCount": all["totalCount"], "edges": edges}}
}

// sortContacts orders each lead's contacts by email: a nested connection without orderBy has no
// defined order, and entgql's nested page (a window over the contacts, with no ORDER BY around
// it) comes back in whatever order the database's plan gives.
func sortContacts(data map[string]any) {
	leads, _ := data["leads"].(map[string]any)
	edges, _ := leads["edges"].([]any)
	for _, e := range edges {
		node, _ := e.(map[string]any)["node"].(map[string]any)
		contacts, _ := node["contacts"].(map[string]any)
		list, _ := contacts["edges"].([]any)
		sort.SliceStable(list, func(i, j int) bool { return fmt.Sprint(list[i]) < fmt.Sprint(list[j]) })
	}
}
