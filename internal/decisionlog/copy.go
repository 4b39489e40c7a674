package decisionlog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	entdl "github.com/qualify/qualify/ent/decisionlog"
)

// copyColumns are the columns WriteAll and CopyAll fill (rowOf); the id is the table's identity.
var copyColumns = []string{entdl.FieldDecisionID, entdl.FieldKind, entdl.FieldPath, entdl.FieldRevision,
	entdl.FieldRevisionHash, entdl.FieldInput, entdl.FieldResult, entdl.FieldError, entdl.FieldLatencyNs,
	entdl.FieldCaller, entdl.FieldCallerRole, entdl.FieldTrigger, entdl.FieldDecidedAt, entdl.FieldLeadID}

// CopyAll stores entries with PostgreSQL's COPY in tx: the rows WriteAll inserts, for bulk
// scoring, where a multi-row INSERT cost more than deciding. The rows are WriteAll's (rowOf).
func CopyAll(ctx context.Context, tx pgx.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	caller, role := callerOf(ctx)
	now := time.Now()
	rows := make([][]any, len(entries))
	for i, e := range entries {
		row, err := rowOf(e, caller, role, now)
		if err != nil {
			return err
		}
		rows[i] = row
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{entdl.Table}, copyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("decision log: copy: %w", err)
	}
	return nil
}
