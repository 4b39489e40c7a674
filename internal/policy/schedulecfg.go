package policy

import (
	"context"
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// QueryScheduleConfig is the schedule's calendar and SLAs in the bundle's data.
const QueryScheduleConfig = "data.qualify.config.schedule"

// ScheduleConfig is data.qualify.config.schedule as the bundle declares it. The SLA report reads
// it to count business days exactly as the schedule decision does.
type ScheduleConfig struct {
	TimeZone     string   `json:"time_zone"`
	BusinessDays []string `json:"business_days"` // English weekday names
	Holidays     []string `json:"holidays"`      // local dates, YYYY-MM-DD
	SLAs         []SLA    `json:"slas"`
}

// SLA is one rule of config.schedule.slas: at most BusinessDays in Stage.
type SLA struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	Stage        string `json:"stage"`
	BusinessDays int    `json:"business_days"`
	Action       string `json:"action"`
}

// Schedule returns the revision's schedule configuration (zero when the bundle has none).
func (r *Revision) Schedule() ScheduleConfig { return r.schedule }

// readSchedule reads QueryScheduleConfig; an undefined one is the zero value (no SLAs).
func readSchedule(ctx context.Context, c *ast.Compiler, store storage.Store) (ScheduleConfig, []Problem) {
	var cfg ScheduleConfig
	rs, err := rego.New(rego.Query(QueryScheduleConfig), rego.Compiler(c), rego.Store(store)).Eval(ctx)
	if err != nil {
		return cfg, problemsOf(err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return cfg, nil
	}
	b, err := json.Marshal(rs[0].Expressions[0].Value)
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		return cfg, []Problem{{Message: QueryScheduleConfig + ": " + err.Error()}}
	}
	return cfg, nil
}
