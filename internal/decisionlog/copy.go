package decisionlog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	entdl "github.com/qualify/qualify/ent/decisionlog"
)

// copyColumns are the columns CopyAll fills; the id is the table's identity.
var copyColumns = []string{entdl.FieldDecisionID, entdl.FieldKind, entdl.FieldPath, entdl.FieldRevision,
	entdl.FieldRevisionHash, entdl.FieldInput, entdl.FieldResult, entdl.FieldError, entdl.FieldLatencyNs,
	entdl.FieldCaller, entdl.FieldCallerRole, entdl.FieldTrigger, entdl.FieldDecidedAt, entdl.FieldLeadID}

// CopyAll stores entries with PostgreSQL's COPY in tx: the rows WriteAll inserts, for bulk
// scoring, where the multi-row INSERT through ent cost more than deciding. Input and result go
// as the JSON of the typed values: WriteAll's detour through a map changes only their key
// order and spacing, which jsonb does not keep.
func CopyAll(ctx context.Context, tx pgx.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	caller, role := callerOf(ctx)
	now := time.Now()
	rows := make([][]any, len(entries))
	for i, e := range entries {
		in, err := json.Marshal(e.Input)
		if err != nil {
			return fmt.Errorf("decision log: input: %w", err)
		}
		var res, leadID any // NULL unless set, as WriteAll leaves them
		if e.Result != nil && e.Err == nil {
			buf, err := json.Marshal(e.Result)
			if err != nil {
				return fmt.Errorf("decision log: result: %w", err)
			}
			res = json.RawMessage(buf)
		}
		msg := ""
		if e.Err != nil {
			msg = e.Err.Error()
		}
		if e.LeadID != 0 {
			leadID = int64(e.LeadID)
		}
		at := e.At
		if at.IsZero() {
			at = now
		}
		rows[i] = []any{e.Meta.DecisionID, string(e.Kind), paths[e.Kind], e.Meta.Revision, e.Meta.Hash, json.RawMessage(in),
			res, msg, e.Latency.Nanoseconds(), caller, role, e.Trigger, at, leadID}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{entdl.Table}, copyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("decision log: copy: %w", err)
	}
	return nil
}
