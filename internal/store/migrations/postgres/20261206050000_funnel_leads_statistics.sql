-- Hand-written (internal/funnel, issue 21): the number of distinct combinations of the rollup's
-- dimensions, so that the planner sizes a GROUP BY of several of them. Without it PostgreSQL
-- multiplies the columns' own counts (source x owner x exits: 27M groups, capped at the rows)
-- and, expecting a partial aggregate per worker as large as its input, aggregated a funnel by
-- owner and source in one process: 380 ms at 1M leads for its 32k groups, where two workers
-- and the leader share it. The owner at the time of each stage (o1..o12) is left out: a
-- statistics object takes at most eight columns.
CREATE STATISTICS "funnel_leads_dims" (ndistinct) ON "source", "owner_id", "team", "industry", "region", "cohort_month", "exits" FROM "funnel_leads";
ANALYZE "funnel_leads";
