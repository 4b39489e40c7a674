package ent

import (
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stagetransition"
)

// servedColumn is the column a GraphQL field of type typ reads when graph/ resolves it from
// memory instead of an edge (servedFromMemory in ent/schema: the stage cache, from the stage
// id), or "" for a field it does not know. Field collection (gql_collection.go, through
// ent/entc.go) selects that column rather than every column of the row. A field missing here
// only costs the wide read; one listed with the wrong column would resolve from a zero value, so
// TestLeadReadsSelectTheAskedColumns and the stage tests read these fields through the API.
func servedColumn(typ, field string) string {
	switch typ {
	case TypeLead:
		switch field {
		case "stage":
			return lead.FieldStageID
		case "furthestStage":
			return lead.FieldFurthestStageID
		}
	case TypeStageTransition:
		switch field {
		case "fromStage":
			return stagetransition.FieldFromStageID
		case "toStage":
			return stagetransition.FieldToStageID
		}
	}
	return ""
}
