package funnel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// pred is a random where filter with its meaning computed in Go from the model's raw rows.
type pred struct {
	where *ent.LeadWhereInput
	keep  func(*mlead) bool
}

// facts are what the where filters read beyond the model: scores, owner names, account rows.
type facts struct {
	score  map[int]int // lead id → score
	ids    []int
	owners []*ent.User
}

// randomPred draws a filter of comparisons on dates, scores and ids, source sets and edge
// predicates (the account's industry and region, the owner's team, name and id), combined with
// and, or and not up to depth levels deep.
func (f *facts) randomPred(rng *rand.Rand, depth int) pred {
	if depth > 0 && rng.IntN(3) == 0 {
		switch rng.IntN(3) {
		case 0:
			p := f.randomPred(rng, depth-1)
			return pred{&ent.LeadWhereInput{Not: p.where}, func(m *mlead) bool { return !p.keep(m) }}
		default:
			n := 1 + rng.IntN(3)
			ps := make([]pred, n)
			ws := make([]*ent.LeadWhereInput, n)
			for i := range ps {
				ps[i] = f.randomPred(rng, depth-1)
				ws[i] = ps[i].where
			}
			if rng.IntN(2) == 0 {
				return pred{&ent.LeadWhereInput{And: ws}, func(m *mlead) bool {
					return !slices.ContainsFunc(ps, func(p pred) bool { return !p.keep(m) })
				}}
			}
			return pred{&ent.LeadWhereInput{Or: ws}, func(m *mlead) bool {
				return slices.ContainsFunc(ps, func(p pred) bool { return p.keep(m) })
			}}
		}
	}
	return f.atom(rng)
}

func (f *facts) atom(rng *rand.Rand) pred {
	at := base.Add(time.Duration(rng.IntN(120*24)) * time.Hour)
	sc := rng.IntN(101)
	id := f.ids[rng.IntN(len(f.ids))]
	src := sources[rng.IntN(len(sources))]
	ind := industries[rng.IntN(len(industries))]
	reg := regions[rng.IntN(len(regions))]
	team := teams[rng.IntN(len(teams))]
	owner := f.owners[rng.IntN(len(f.owners))]
	switch rng.IntN(16) {
	case 0:
		return pred{&ent.LeadWhereInput{CreatedAtGT: &at}, func(m *mlead) bool { return m.created.After(at) }}
	case 1:
		return pred{&ent.LeadWhereInput{CreatedAtLTE: &at}, func(m *mlead) bool { return !m.created.After(at) }}
	case 2:
		return pred{&ent.LeadWhereInput{ScoreGTE: &sc}, func(m *mlead) bool { return f.score[m.id] >= sc }}
	case 3:
		return pred{&ent.LeadWhereInput{ScoreLT: &sc}, func(m *mlead) bool { return f.score[m.id] < sc }}
	case 4:
		return pred{&ent.LeadWhereInput{IDGT: &id}, func(m *mlead) bool { return m.id > id }}
	case 5:
		return pred{&ent.LeadWhereInput{IDLTE: &id}, func(m *mlead) bool { return m.id <= id }}
	case 6:
		return pred{&ent.LeadWhereInput{Source: ptr(lead.Source(src))}, func(m *mlead) bool { return m.source == src }}
	case 7:
		return pred{&ent.LeadWhereInput{SourceNEQ: ptr(lead.Source(src))}, func(m *mlead) bool { return m.source != src }}
	case 8:
		return pred{&ent.LeadWhereInput{HasAccountWith: []*ent.AccountWhereInput{{Industry: &ind}}},
			func(m *mlead) bool { return m.industry == ind }}
	case 9:
		return pred{&ent.LeadWhereInput{HasAccountWith: []*ent.AccountWhereInput{{IndustryNEQ: &ind}}},
			func(m *mlead) bool { return m.industry != "" && m.industry != ind }}
	case 10:
		return pred{&ent.LeadWhereInput{HasAccountWith: []*ent.AccountWhereInput{{Region: ptr(account.Region(reg))}}},
			func(m *mlead) bool { return m.region == reg }}
	case 11:
		has := rng.IntN(2) == 0
		return pred{&ent.LeadWhereInput{HasAccount: &has}, func(m *mlead) bool { return (m.industry != "") == has }}
	case 12:
		return pred{&ent.LeadWhereInput{HasOwnerWith: []*ent.UserWhereInput{{Team: &team}}},
			func(m *mlead) bool { return m.owner != 0 && m.team == team }}
	case 13:
		return pred{&ent.LeadWhereInput{HasOwnerWith: []*ent.UserWhereInput{{Name: &owner.Name}}},
			func(m *mlead) bool { return m.owner == owner.ID }}
	case 14:
		has := rng.IntN(2) == 0
		return pred{&ent.LeadWhereInput{HasOwner: &has}, func(m *mlead) bool { return (m.owner != 0) == has }}
	default:
		return pred{&ent.LeadWhereInput{HasOwnerWith: []*ent.UserWhereInput{{IDNEQ: &owner.ID}}},
			func(m *mlead) bool { return m.owner != 0 && m.owner != owner.ID }}
	}
}

// caller is who asks, with the row filter of their role computed from the model: a BDR or AE
// sees the leads they own, those owned in their team, and the unassigned ones.
type caller struct {
	name string
	api  *apitest.Instance
	sees func(*mlead) bool
}

// TestWhereFiltersMatchBruteForce is the property test of issue 7 widened to random where
// filters and row filters: funnel, stageDurations and conversionTrend over HTTP, as an analyst,
// a BDR and an AE, against the brute force over the model's rows. FUNNEL_PROPERTY_SEED explores
// other histories and filters; FUNNEL_PROPERTY_CASES asks for more cases.
func TestWhereFiltersMatchBruteForce(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed := uint64(31)
		if v, err := strconv.ParseUint(os.Getenv("FUNNEL_PROPERTY_SEED"), 10, 64); err == nil {
			seed = v
		}
		cases := 30
		if v, err := strconv.Atoi(os.Getenv("FUNNEL_PROPERTY_CASES")); err == nil && v > 0 {
			cases = v
		}
		rng := rand.New(rand.NewPCG(seed, uint64(len(db.Dialect))))
		svc := funnel.New(db.Client, db.Dialect)
		w := buildWorld(t, ctx, db.Client, svc, rng, 90, true)
		f := &facts{score: map[int]int{}}
		for _, m := range w.leads {
			s := rng.IntN(101)
			db.Client.Lead.UpdateOneID(m.id).SetScore(s).ExecX(ctx)
			f.score[m.id], f.ids = s, append(f.ids, m.id)
		}
		f.owners = db.Client.User.Query().Order(ent.Asc(user.FieldID)).AllX(ctx)
		// One owner is an AE: the AE's row filter is the BDR's, on its own leads and team.
		ae := f.owners[1]
		db.Client.User.UpdateOne(ae).SetRole(user.RoleAE).ExecX(ctx)
		bdr := f.owners[0]
		api := apitest.Start(t, db)
		visible := func(u *ent.User) func(*mlead) bool {
			return func(m *mlead) bool { return m.owner == 0 || m.owner == u.ID || m.team == u.Team }
		}
		callers := []caller{
			{"analyst", api.As(t, "analyst", "", ""), func(*mlead) bool { return true }},
			{"bdr", api.As(t, "bdr", bdr.Team, strconv.Itoa(bdr.ID)), visible(bdr)},
			{"ae", api.As(t, "ae", ae.Team, strconv.Itoa(ae.ID)), visible(ae)},
		}
		vars := func(in any) map[string]any { return map[string]any{"input": in} }
		// On PostgreSQL every other case samples the percentiles (the threshold at 0): their
		// medians and p90s are then those of the sampled leads that pass the filters.
		pg := db.Dialect == dialect.Postgres
		inSample := map[int]bool{}
		if pg {
			for _, id := range sampledIDs(t, db) {
				inSample[id] = true
			}
		}
		nonEmpty := 0
		for i := range cases {
			p := f.randomPred(rng, 2)
			c := callers[i%len(callers)]
			keep := func(m *mlead) bool { return c.sees(m) && p.keep(m) }
			keepSampled := func(m *mlead) bool { return keep(m) && inSample[m.id] }
			in := w.randomInput(rng)
			sampled := pg && i%2 == 1
			api.App.Funnel.SamplePercentilesAbove(map[bool]int64{true: 0, false: -1}[sampled])
			sampled = sampled && !in.Exact // exact: true asks for every value
			in.Where = p.where
			in.GroupBy = [][]funnel.Dimension{nil, {funnel.DimSource}, {funnel.DimTeam}, {funnel.DimIndustry}}[rng.IntN(4)]
			desc := fmt.Sprintf("case %d as %s: %s", i, c.name, mustJSON(in))
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				var fr struct{ Funnel funnel.Result }
				if res := c.api.Do(t, funnelQuery, vars(in)); len(res.Errors) > 0 {
					t.Fatalf("%s: funnel: %v", desc, res.Errors)
				} else if err := json.Unmarshal(res.Data, &fr); err != nil {
					t.Fatal(err)
				}
				want := w.bruteFunnel(in, keep)
				if sampled {
					sampledFunnel(want, w.bruteFunnel(in, keepSampled))
				}
				// A funnel of one stage has no days to a next step: it sorts nothing, samples
				// nothing and says EXACT.
				checkMethod(t, desc, fr.Funnel.Percentiles, fr.Funnel.PercentileSampleRate, sampledAt(sampled && len(in.Stages) != 1, funnel.SampleRate))
				compareFunnel(t, desc, fr.Funnel.Groups, want, false)
				for _, g := range want {
					if len(g.Steps) > 0 && g.Steps[0].Reached > 0 {
						nonEmpty++
						break
					}
				}

				din := in
				din.GroupBy = [][]funnel.Dimension{nil, {funnel.DimSource}, {funnel.DimRegion}}[rng.IntN(3)]
				var dr struct{ StageDurations funnel.Durations }
				if res := c.api.Do(t, durationsQuery, vars(din)); len(res.Errors) > 0 {
					t.Fatalf("%s: stageDurations: %v", desc, res.Errors)
				} else if err := json.Unmarshal(res.Data, &dr); err != nil {
					t.Fatal(err)
				}
				dwant := w.bruteDurations(din, keep)
				if sampled {
					sampledDurations(dwant, w.bruteDurations(din, keepSampled))
				}
				compareDurations(t, desc, dr.StageDurations.Groups, dwant, false)

				tin := funnel.TrendInput{From: "mql", To: "sql", Period: in.Period, Interval: funnel.IntervalMonth, Where: in.Where}
				var tr struct{ ConversionTrend funnel.Trend }
				if res := c.api.Do(t, trendQuery, vars(tin)); len(res.Errors) > 0 {
					t.Fatalf("%s: conversionTrend: %v", desc, res.Errors)
				} else if err := json.Unmarshal(res.Data, &tr); err != nil {
					t.Fatal(err)
				}
				// No point is no point, whether the brute force says nil or the API [].
				if got, want := mustJSON(append([]*funnel.TrendPoint{}, tr.ConversionTrend.Points...)),
					mustJSON(append([]*funnel.TrendPoint{}, w.bruteTrend(tin, keep)...)); got != want {
					t.Fatalf("%s: trend: got %s, want %s", desc, got, want)
				}
			})
		}
		if nonEmpty < cases/4 {
			t.Errorf("only %d of %d cases selected any lead: the filters prove little", nonEmpty, cases)
		}
	})
}
