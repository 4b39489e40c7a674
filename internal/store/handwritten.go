package store

import (
	"strings"

	atlas "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"
)

// KeepHandWritten is the diff hook of every schema diff against ent/schema (the migration
// generator, the drift check): it keeps the objects a migration adds by hand, which ent/schema
// cannot describe and a diff would otherwise drop. They are the search indexes of the migration
// "search" (internal/fulltext), named <table>_search_words and <table>_search_trigrams, and the
// index lead_contacts_search_contact that finds leads by contact; the row filter's reach
// (migration "reach_counts_funnel_narrow", internal/authz): the columns contacts.reach and activities.reach,
// kept by triggers, and the index leads_reach_account they read; and the tables lead_counts
// (internal/totalcount) and contact_reach_counts (internal/totalcount), kept by triggers.
func KeepHandWritten(next entschema.Differ) entschema.Differ {
	return entschema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
		changes, err := next.Diff(current, desired)
		if err != nil {
			return nil, err
		}
		kept := changes[:0]
		for _, c := range changes {
			if d, ok := c.(*atlas.DropTable); ok && handWrittenTables[d.T.Name] {
				continue
			}
			if m, ok := c.(*atlas.ModifyTable); ok {
				m.Changes = dropHandWritten(m.Changes)
				if len(m.Changes) == 0 {
					continue
				}
			}
			kept = append(kept, c)
		}
		return kept, nil
	})
}

func dropHandWritten(changes []atlas.Change) []atlas.Change {
	kept := changes[:0]
	for _, c := range changes {
		if d, ok := c.(*atlas.DropIndex); ok && handWrittenIndex(d.I.Name) {
			continue
		}
		if d, ok := c.(*atlas.DropColumn); ok && d.C.Name == reachColumn {
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

// handWrittenTables are the tables no ent schema describes.
var handWrittenTables = map[string]bool{"lead_counts": true, "contact_reach_counts": true, "funnel_sample": true, "funnel_restays": true}

func handWrittenIndex(name string) bool {
	return strings.HasSuffix(name, "_search_words") || strings.HasSuffix(name, "_search_trigrams") ||
		name == "lead_contacts_search_contact" || name == "leads_reach_account"
}

// reachColumn is the hand-written column of contacts and activities that holds their reach.
const reachColumn = "reach"
