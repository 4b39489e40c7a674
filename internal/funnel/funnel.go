// Package funnel answers the analysts' questions (conversion between stages, time in stage,
// conversion trends) in SQL on SQLite and PostgreSQL, from the per-lead FunnelLead rollup (or
// straight from the transitions while it is rebuilt). The rollup follows every stage
// transition and every change of a dimension it groups by.
package funnel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/domainerr"
)

// Cohort says which leads a period selects.
type Cohort string

const (
	// CohortCreated selects the leads created in the period.
	CohortCreated Cohort = "CREATED"
	// CohortEnteredFirstStage selects the leads that reached the first requested stage in the
	// period (entered it, or skipped it by entering a later funnel stage).
	CohortEnteredFirstStage Cohort = "ENTERED_FIRST_STAGE"
)

// Dimension is a grouping of the leads.
type Dimension string

const (
	DimSource      Dimension = "SOURCE"
	DimOwner       Dimension = "OWNER"
	DimTeam        Dimension = "TEAM"
	DimIndustry    Dimension = "INDUSTRY"
	DimRegion      Dimension = "REGION"
	DimCohortMonth Dimension = "COHORT_MONTH"
	// DimOwnerAtReach is the lead's owner when it reached the first requested stage (the
	// cohort's stage), as that transition recorded it.
	DimOwnerAtReach Dimension = "OWNER_AT_REACH"
	// DimTeamAtReach is the team of DimOwnerAtReach's owner (as the team is now).
	DimTeamAtReach Dimension = "TEAM_AT_REACH"
)

// Source says where an answer was computed from.
type Source string

const (
	SourceRollup      Source = "ROLLUP"
	SourceTransitions Source = "TRANSITIONS"
)

// PercentileMethod says how the percentiles of an answer were computed.
type PercentileMethod string

const (
	// PercentilesExact is percentile_cont over every value.
	PercentilesExact PercentileMethod = "EXACT"
	// PercentilesSampled is percentile_cont over the values of a fixed, uniform sample of the
	// leads (by a hash of the lead's id: the same leads every time; SampleRate of them, or a
	// half, a quarter... of that on a rollup large enough to pass SampleAtMost), used on
	// PostgreSQL when the rollup holds more leads than the sampling threshold and the input
	// does not ask for exact percentiles. Counts and means stay exact.
	PercentilesSampled PercentileMethod = "SAMPLED"
)

// SampleRate is the share of the leads in the sample (the migration's qualify_funnel_sampled:
// hashint8(id) below -2^31 + 2^29), the most that sampled percentiles are computed from.
const SampleRate = 0.125

// Interval is the bucket of a trend.
type Interval string

const (
	IntervalWeek  Interval = "WEEK"
	IntervalMonth Interval = "MONTH"
)

// Period is the half-open time range [From, To).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Input selects and groups the leads of a funnel or stage-durations query.
type Input struct {
	// Stages are funnel stage keys in funnel order; empty means every funnel stage.
	Stages  []string            `json:"stages"`
	Period  Period              `json:"period"`
	Cohort  *Cohort             `json:"cohort"`
	Where   *ent.LeadWhereInput `json:"where"`
	GroupBy []Dimension         `json:"groupBy"`
	// Exact computes the percentiles over every value even when the rollup is large enough
	// to sample them (PercentilesSampled): slower at scale.
	Exact bool `json:"exact"`
	// WindowDays, when set, counts a later step as reached only within that many days of the
	// lead reaching the first step; steps of leads whose window is still open count as well,
	// and the answer says whether the period is still maturing.
	WindowDays *int `json:"windowDays"`
	// Now is the clock of Maturing (tests); zero means the time of the query.
	Now time.Time `json:"-"`
	// Omit names parts of the answer the caller did not ask for, so the query skips their
	// statements (the GraphQL resolver fills it from the selection); the zero value computes all.
	Omit Omit `json:"-"`
}

// Omit lists the optional parts of an answer: of a funnel, the days between steps (a sort of
// every lead's stay, the costliest statement) and the exits; of stage durations, the cumulative
// stays and the percentiles (without them, one hash aggregate of counts and sums answers).
type Omit struct{ DaysToNext, Exits, Cumulative, Percentiles bool }

// GroupKey holds the dimension values of a group; only the grouped ones are set.
type GroupKey struct {
	Source      *string `json:"source"`
	OwnerID     *int    `json:"ownerId"`
	OwnerName   *string `json:"ownerName"` // with OwnerID, for screens and exports
	Team        *string `json:"team"`
	Industry    *string `json:"industry"`
	Region      *string `json:"region"`
	CohortMonth *string `json:"cohortMonth"`
	// OwnerAtReachID is the owner when the lead reached the first requested stage.
	OwnerAtReachID   *int    `json:"ownerAtReachId"`
	OwnerAtReachName *string `json:"ownerAtReachName"`
	TeamAtReach      *string `json:"teamAtReach"`
}

// Result is a funnel.
type Result struct {
	Source      Source           `json:"source"`
	Percentiles PercentileMethod `json:"percentiles"`
	// PercentileSampleRate is the share of the leads the percentiles were computed from when
	// sampled, else nil.
	PercentileSampleRate *float64 `json:"percentileSampleRate"`
	// Maturing is set with a conversion window when the window of some leads of the cohort
	// has not closed yet (the period ends less than the window before now): their later
	// steps may still come.
	Maturing bool     `json:"maturing"`
	Groups   []*Group `json:"groups"`
}

// Group is the funnel of one group of leads.
type Group struct {
	GroupKey
	Steps []*Step `json:"steps"`
	Exits []*Exit `json:"exits"`
	// ExitsFrom are the exits by the stage the leads left from.
	ExitsFrom []*ExitFrom `json:"exitsFrom"`
}

// ExitFrom counts the leads of a group that left FromStage for an exit stage with a reason.
type ExitFrom struct {
	FromStage  string `json:"fromStage"`
	Stage      string `json:"stage"`
	ReasonCode string `json:"reasonCode"`
	Count      int    `json:"count"`
}

// Step is one stage of a funnel. Conversions are nil when the denominator is zero; the days to
// the next step are over the leads that reached both, nil when there are none or for the last.
type Step struct {
	Stage                  string   `json:"stage"`
	Reached                int      `json:"reached"`
	ConversionFromPrevious *float64 `json:"conversionFromPrevious"`
	ConversionFromFirst    *float64 `json:"conversionFromFirst"`
	MedianDaysToNext       *float64 `json:"medianDaysToNext"`
	P90DaysToNext          *float64 `json:"p90DaysToNext"`
}

// Exit counts the leads of a group that went to an exit stage with a reason code.
type Exit struct {
	Stage      string `json:"stage"`
	ReasonCode string `json:"reasonCode"`
	Count      int    `json:"count"`
}

// Service answers funnel queries over one database.
type Service struct {
	client  *ent.Client
	reader  *ent.Client // where the analytics queries read (ReadFrom); client when nil
	dialect string
	trace   func(query string, args []any) // tests: each statement before it runs
	// rebuilding counts the rollup rebuilds under way in this process: while one runs, queries
	// read the transitions (source TRANSITIONS) rather than a rollup that is not complete.
	rebuilding atomic.Int32
	// maxTransitions is how many transitions a query derives its rows from when the rollup
	// cannot answer; 0 means defaultMaxTransitions.
	maxTransitions int
	// sampleAbove is the rollup size above which percentiles are sampled (SamplePercentilesAbove).
	sampleAbove atomic.Int64
	// sampleAtMost is about the most leads sampled percentiles are computed from (SampleAtMost).
	sampleAtMost atomic.Int64
	// rollupRows caches the rollup's row estimate for rollupRowsFor.
	rollupRows atomic.Pointer[rowEstimate]
}

// defaultMaxTransitions bounds the transitions a funnel query reads while the rollup is
// rebuilt: 100,000 (some 40,000 leads) answer within a second or two; at 2.6M (1M leads) the
// answers took until their timeout, so a larger history answers UNAVAILABLE until rebuilt.
const defaultMaxTransitions = 100_000

// AnswerFromTransitionsUpTo sets how many transitions a query may derive its answer from
// while the rollup cannot answer (being rebuilt, or built for another stage list); above it
// the query answers UNAVAILABLE with a retry hint.
func (s *Service) AnswerFromTransitionsUpTo(n int) { s.maxTransitions = n }

func (s *Service) transitionsLimit() int {
	if s.maxTransitions > 0 {
		return s.maxTransitions
	}
	return defaultMaxTransitions
}

// New returns the funnel service over client, whose database is of dialect (dialect.SQLite or
// dialect.Postgres).
func New(client *ent.Client, dialectName string) *Service {
	s := &Service{client: client, dialect: dialectName}
	s.sampleAbove.Store(defaultSampleAbove)
	s.sampleAtMost.Store(defaultSampleAtMost)
	return s
}

// ReadFrom sends the analytics queries (funnel, stage durations, conversion trend and their
// exports) to reader, a client on a read replica of the same database with the same row
// filters installed; the rollups and everything that writes stay on the primary.
func (s *Service) ReadFrom(reader *ent.Client) { s.reader = reader }

// read is the client the analytics queries go through.
func (s *Service) read() *ent.Client {
	if s.reader != nil {
		return s.reader
	}
	return s.client
}

func (s *Service) pg() bool { return s.dialect == dialect.Postgres }

// stageSet is the stage catalogue resolved for one query.
type stageSet struct {
	byKey  map[string]*ent.Stage
	byID   map[int]*ent.Stage
	funnel []*ent.Stage // open and won stages in position order, not retired
	exits  []*ent.Stage // parked and lost stages, not retired
}

func (s *Service) stages(ctx context.Context) (*stageSet, error) { return s.stagesOf(ctx, s.read()) }

// stagesOf reads the stage catalogue through c. Retired stages are known by key and id (history
// names them) but are not in the funnel.
func (s *Service) stagesOf(ctx context.Context, c *ent.Client) (*stageSet, error) {
	all, err := c.Stage.Query().Order(ent.Asc(stage.FieldPosition)).All(ctx)
	if err != nil {
		return nil, err
	}
	set := &stageSet{byKey: map[string]*ent.Stage{}, byID: map[int]*ent.Stage{}}
	for _, st := range all {
		set.byKey[st.Key], set.byID[st.ID] = st, st
		if st.Retired {
			continue
		}
		if isFunnel(st.Kind) {
			set.funnel = append(set.funnel, st)
		} else {
			set.exits = append(set.exits, st)
		}
	}
	if len(set.funnel) == 0 {
		return nil, errors.New("funnel: no funnel stages")
	}
	return set, nil
}

func isFunnel(k stage.Kind) bool { return k == stage.KindOPEN || k == stage.KindWON }

// resolve turns stage keys into funnel stages in strictly increasing funnel order.
func (set *stageSet) resolve(keys []string) ([]*ent.Stage, error) {
	if len(keys) == 0 {
		return set.funnel, nil
	}
	out := make([]*ent.Stage, 0, len(keys))
	for i, k := range keys {
		st, ok := set.byKey[k]
		if !ok || !isFunnel(st.Kind) || st.Retired {
			return nil, domainerr.Validation("stages", fmt.Sprintf("%q is not a funnel stage", k))
		}
		if i > 0 && st.Position <= out[i-1].Position {
			return nil, domainerr.Validation("stages", "stages must be in funnel order without repeats")
		}
		out = append(out, st)
	}
	return out, nil
}

func validPeriod(p Period) error {
	if p.From.IsZero() || p.To.IsZero() || !p.From.Before(p.To) {
		return domainerr.Validation("period", "from must be before to")
	}
	return nil
}

func (in *Input) cohort() Cohort {
	if in.Cohort == nil {
		return CohortCreated
	}
	return *in.Cohort
}
