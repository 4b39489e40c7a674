-- Hand-written (internal/funnel, issue 21): funnel_sample, a copy of the funnel_leads rows of
-- one lead in eight, chosen by a hash of the lead's id, which the median and p90 of a large
-- rollup are computed from (the answers say SAMPLED and give the rate). Sorting every lead's
-- stays took 0.4–1.1 s a statement at 1M leads; the sample sorts an eighth of them and is read
-- without the other seven eighths. The same columns in the same order as funnel_leads (a test
-- in internal/funnel compares them), kept by the triggers below in the statement that writes
-- funnel_leads.
CREATE FUNCTION public.qualify_funnel_sampled(id bigint) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT hashint8(id) < -1610612736
$$;
CREATE TABLE "funnel_sample" (LIKE "funnel_leads" INCLUDING DEFAULTS);
ALTER TABLE "funnel_sample" ADD PRIMARY KEY ("id");
INSERT INTO "funnel_sample" SELECT * FROM "funnel_leads" WHERE qualify_funnel_sampled("id");
ANALYZE "funnel_sample";
-- Row triggers whose WHEN is tested in the executor: the seven rows in eight outside the
-- sample cost no function call.
CREATE FUNCTION public.qualify_funnel_sample_put() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM "funnel_sample" WHERE "id" = OLD."id";
  END IF;
  INSERT INTO "funnel_sample" SELECT (NEW).*;
  RETURN NULL;
END $$;
CREATE FUNCTION public.qualify_funnel_sample_drop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "funnel_sample" WHERE "id" = OLD."id";
  RETURN NULL;
END $$;
CREATE TRIGGER "funnel_sample_insert" AFTER INSERT ON "funnel_leads" FOR EACH ROW
  WHEN (qualify_funnel_sampled(NEW."id")) EXECUTE FUNCTION qualify_funnel_sample_put();
CREATE TRIGGER "funnel_sample_update" AFTER UPDATE ON "funnel_leads" FOR EACH ROW
  WHEN (qualify_funnel_sampled(NEW."id")) EXECUTE FUNCTION qualify_funnel_sample_put();
CREATE TRIGGER "funnel_sample_delete" AFTER DELETE ON "funnel_leads" FOR EACH ROW
  WHEN (qualify_funnel_sampled(OLD."id")) EXECUTE FUNCTION qualify_funnel_sample_drop();
