package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qualify/qualify/internal/store"
)

// deferred is what a PostgreSQL seed takes off the tables it fills before the leads go in and
// puts back after: their foreign keys (each row of a COPY would otherwise run a lookup per key:
// about thirty million at a million leads) and their secondary indexes, the search GIN indexes
// among them, which a CREATE INDEX builds in one sorted pass instead of row by row. Indexes
// that back a constraint (primary keys, unique constraints) stay.
type deferred struct {
	fkeys, indexes []ddl
}

type ddl struct{ Table, Name, Def string } // exported for pgx.RowToStructByPos

// take removes the indexes of table from d and returns them, to be restored apart; the
// foreign keys stay with d.
func (d *deferred) take(table string) *deferred {
	out := &deferred{}
	kept := d.indexes[:0]
	for _, ix := range d.indexes {
		if ix.Table == table {
			out.indexes = append(out.indexes, ix)
		} else {
			kept = append(kept, ix)
		}
	}
	d.indexes = kept
	return out
}

// deferIndexes drops the foreign keys and secondary indexes of tables and returns how to put
// them back. The seed refuses a database holding leads, so nothing but the seed is slowed down
// by their absence.
func (l copyLoader) deferIndexes(ctx context.Context, tables []string) (*deferred, error) {
	d := &deferred{}
	err := store.OnPgxConn(ctx, l.pool, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
			WHERE contype = 'f' AND conrelid = ANY($1::regclass[]) ORDER BY 1, 2`, tables)
		if err != nil {
			return err
		}
		if d.fkeys, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ddl]); err != nil {
			return err
		}
		rows, err = c.Query(ctx, `SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
			FROM pg_index i WHERE i.indrelid = ANY($1::regclass[])
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1, 2`, tables)
		if err != nil {
			return err
		}
		if d.indexes, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ddl]); err != nil {
			return err
		}
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			for _, k := range d.fkeys {
				if _, err := tx.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s`, k.Table, pgx.Identifier{k.Name}.Sanitize())); err != nil {
					return err
				}
			}
			for _, ix := range d.indexes {
				if _, err := tx.Exec(ctx, "DROP INDEX "+ix.Name); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("seed: defer indexes: %w", err)
	}
	return d, nil
}

// restore builds the indexes again and adds the foreign keys back (which checks every row in
// one pass). It runs even when the seed failed or was cancelled, so that a half-seeded
// database keeps its schema.
func (l copyLoader) restore(ctx context.Context, d *deferred) error {
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	// Two builds at a time: a GIN build uses one core, and there are several per table.
	todo := make(chan ddl)
	errs := make(chan error, restoreWorkers)
	for range restoreWorkers {
		go func() {
			err := store.OnPgxConn(ctx, l.pool, func(c *pgx.Conn) error {
				// Index builds sort in memory this large before spilling to disk.
				if _, err := c.Exec(ctx, "SET maintenance_work_mem = '512MB'"); err != nil {
					return err
				}
				var failed []error
				for ix := range todo {
					if _, err := c.Exec(ctx, ix.Def); err != nil {
						failed = append(failed, fmt.Errorf("%s: %w", ix.Name, err))
					}
				}
				return errors.Join(failed...)
			})
			for ix := range todo { // a worker without a connection leaves the indexes to the other
				err = errors.Join(err, fmt.Errorf("%s: not rebuilt", ix.Name))
			}
			errs <- err
		}()
	}
	for _, ix := range d.indexes {
		todo <- ix
	}
	close(todo)
	var failed []error
	for range restoreWorkers {
		failed = append(failed, <-errs)
	}
	err := store.OnPgxConn(ctx, l.pool, func(c *pgx.Conn) error {
		for _, k := range d.fkeys {
			if _, err := c.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", k.Table, pgx.Identifier{k.Name}.Sanitize(), k.Def)); err != nil {
				failed = append(failed, fmt.Errorf("%s: %w", k.Name, err))
			}
		}
		return nil
	})
	if err := errors.Join(append(failed, err)...); err != nil {
		return fmt.Errorf("seed: restore indexes and foreign keys: %w", err)
	}
	return nil
}

// restoreWorkers is how many indexes are built at once.
const restoreWorkers = 2
