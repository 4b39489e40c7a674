-- Hand-written (internal/funnel, issue 21): funnel_restays, a copy of the funnel_leads rows of
-- the leads that stayed in some stage more than once, so that a cumulative stay differs from the
-- latest one (some 3-4% of the leads). The mean cumulative stay of a stage is the sum of the
-- latest stays plus these rows' differences: the full scan of stageDurations then sums no
-- cumulative stay, 8 of its 24 aggregates a row (a tenth of its time at 1M leads). Kept like
-- funnel_sample: the same columns in the same order as funnel_leads (a test in internal/funnel
-- compares them), by row triggers in the statement that writes funnel_leads.
CREATE FUNCTION public.qualify_funnel_restayed(r "funnel_leads") RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT r."c1" IS DISTINCT FROM r."l1" OR r."c2" IS DISTINCT FROM r."l2" OR r."c3" IS DISTINCT FROM r."l3" OR r."c4" IS DISTINCT FROM r."l4" OR r."c5" IS DISTINCT FROM r."l5" OR r."c6" IS DISTINCT FROM r."l6" OR r."c7" IS DISTINCT FROM r."l7" OR r."c8" IS DISTINCT FROM r."l8" OR r."c9" IS DISTINCT FROM r."l9" OR r."c10" IS DISTINCT FROM r."l10" OR r."c11" IS DISTINCT FROM r."l11" OR r."c12" IS DISTINCT FROM r."l12"
$$;
CREATE TABLE "funnel_restays" (LIKE "funnel_leads" INCLUDING DEFAULTS);
ALTER TABLE "funnel_restays" ADD PRIMARY KEY ("id");
INSERT INTO "funnel_restays" SELECT * FROM "funnel_leads" f WHERE qualify_funnel_restayed(f);
ANALYZE "funnel_restays";
CREATE FUNCTION public.qualify_funnel_restays_put() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM "funnel_restays" WHERE "id" = OLD."id";
  END IF;
  IF qualify_funnel_restayed(NEW) THEN
    INSERT INTO "funnel_restays" SELECT (NEW).*;
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION public.qualify_funnel_restays_drop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "funnel_restays" WHERE "id" = OLD."id";
  RETURN NULL;
END $$;
-- An update is mirrored when the row was or is restayed: a row may leave the set (a rebuild
-- after a stage list change).
CREATE TRIGGER "funnel_restays_insert" AFTER INSERT ON "funnel_leads" FOR EACH ROW
  WHEN (qualify_funnel_restayed(NEW)) EXECUTE FUNCTION qualify_funnel_restays_put();
CREATE TRIGGER "funnel_restays_update" AFTER UPDATE ON "funnel_leads" FOR EACH ROW
  WHEN (qualify_funnel_restayed(OLD) OR qualify_funnel_restayed(NEW)) EXECUTE FUNCTION qualify_funnel_restays_put();
CREATE TRIGGER "funnel_restays_delete" AFTER DELETE ON "funnel_leads" FOR EACH ROW
  WHEN (qualify_funnel_restayed(OLD)) EXECUTE FUNCTION qualify_funnel_restays_drop();
