package benchserve

import (
	"maps"
	"testing"
)

// A server's own work is no request's: River's transactions (marked queries between an unmarked
// BEGIN and COMMIT) and pool pings are left out whole, a request's transaction is counted whole.
func TestStatementCounterLeavesOutBackgroundWork(t *testing.T) {
	for _, tc := range []struct {
		name       string
		statements []string
		want       map[string]int
	}{
		{"request transaction", []string{"begin", "INSERT INTO activities VALUES (1)", "SELECT 1", "commit"},
			map[string]int{"BEGIN": 1, "INSERT": 1, "SELECT": 1, "COMMIT": 1}},
		{"River's transaction", []string{"begin", "-- name: JobSchedule :many\nWITH jobs AS (SELECT 1) SELECT 1", "commit"}, map[string]int{}},
		{"River's query and a ping", []string{"-- name: JobGetAvailable :many\nWITH x AS (SELECT 1) SELECT 1", "-- ping"}, map[string]int{}},
		{"a comment before a request's statement", []string{"-- a note\nSELECT 1"}, map[string]int{"SELECT": 1}},
		{"River's, then a request's", []string{"begin", "-- name: QueueGet :one\nSELECT 1", "commit", "begin", "UPDATE leads SET x = 1", "rollback"},
			map[string]int{"BEGIN": 1, "UPDATE": 1, "ROLLBACK": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &StatementCounter{counts: map[string]int{}}
			var tx txState
			for _, s := range tc.statements {
				c.count(&tx, s)
			}
			if got := c.Take(); !maps.Equal(got, tc.want) {
				t.Errorf("counted %v, want %v", got, tc.want)
			}
		})
	}
}
