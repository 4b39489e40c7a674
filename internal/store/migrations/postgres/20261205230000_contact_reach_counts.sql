-- contact_reach_counts (internal/contactcount), hand-written: the number of contacts per reach
-- signature (the distinct owners that make a contact visible, migration
-- "contact_reach_lead_counts"), kept exact by the triggers below, so that an unfiltered contacts
-- page's totalCount for a row-filtered caller sums the few thousand signatures whose reach meets
-- the caller's owners instead of reading every contact row (126k at 100k leads). Keyed by the
-- md5 of the reach, not the array itself: a B-tree entry holds at most ~2.7 kB, which a contact
-- reached by some 330 owners would pass. Each signature's count is spread over 8 slots (a
-- contact's id modulo 8) so that concurrent inserts of one signature do not queue on one row.
CREATE TABLE "contact_reach_counts" ("key" uuid NOT NULL, "slot" smallint NOT NULL, "reach" bigint[] NOT NULL, "n" bigint NOT NULL, PRIMARY KEY ("key", "slot"));
-- Per statement from the transition tables: a COPY or a lead's refresh of the contacts at its
-- account is one upsert. Rows are written in key order, so two statements lock the counter rows
-- they share in the same order. Rows that reach zero go, so that signatures no contact holds any
-- more are not summed forever (a concurrent increment of such a row waits for the delete and
-- inserts it again).
CREATE FUNCTION public.qualify_contact_reach_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
      SELECT md5("reach"::text)::uuid, "id" % 8, "reach", count(*) FROM "contact_reach_new" GROUP BY "reach", "id" % 8 ORDER BY 1, 2
      ON CONFLICT ("key", "slot") DO UPDATE SET "n" = "contact_reach_counts"."n" + excluded."n";
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
      SELECT md5("reach"::text)::uuid, "id" % 8, "reach", -count(*) FROM "contact_reach_old" GROUP BY "reach", "id" % 8 ORDER BY 1, 2
      ON CONFLICT ("key", "slot") DO UPDATE SET "n" = "contact_reach_counts"."n" + excluded."n";
    DELETE FROM "contact_reach_counts" WHERE "n" = 0 AND "key" IN (SELECT md5("reach"::text)::uuid FROM "contact_reach_old");
  ELSE
    INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
      SELECT md5("reach"::text)::uuid, "slot", "reach", sum("d") FROM (
        SELECT o."reach", o."id" % 8 AS "slot", -1 AS "d" FROM "contact_reach_old" o JOIN "contact_reach_new" n ON n."id" = o."id" WHERE o."reach" IS DISTINCT FROM n."reach"
        UNION ALL
        SELECT n."reach", n."id" % 8, 1 FROM "contact_reach_old" o JOIN "contact_reach_new" n ON n."id" = o."id" WHERE o."reach" IS DISTINCT FROM n."reach") AS m
      GROUP BY "reach", "slot" HAVING sum("d") <> 0 ORDER BY 1, 2
      ON CONFLICT ("key", "slot") DO UPDATE SET "n" = "contact_reach_counts"."n" + excluded."n";
    DELETE FROM "contact_reach_counts" WHERE "n" = 0 AND "key" IN (SELECT md5(o."reach"::text)::uuid
      FROM "contact_reach_old" o JOIN "contact_reach_new" n ON n."id" = o."id" WHERE o."reach" IS DISTINCT FROM n."reach");
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "contact_reach_counts_insert" AFTER INSERT ON "contacts" REFERENCING NEW TABLE AS "contact_reach_new"
  FOR EACH STATEMENT EXECUTE FUNCTION public.qualify_contact_reach_counted();
CREATE TRIGGER "contact_reach_counts_delete" AFTER DELETE ON "contacts" REFERENCING OLD TABLE AS "contact_reach_old"
  FOR EACH STATEMENT EXECUTE FUNCTION public.qualify_contact_reach_counted();
-- Any update (PostgreSQL allows no column list with transition tables): the reach is set by
-- UPDATEs of reach and by the BEFORE trigger on a change of account_id alike.
CREATE TRIGGER "contact_reach_counts_update" AFTER UPDATE ON "contacts" REFERENCING OLD TABLE AS "contact_reach_old" NEW TABLE AS "contact_reach_new"
  FOR EACH STATEMENT EXECUTE FUNCTION public.qualify_contact_reach_counted();
-- Recounts every signature: the existing rows, and the seed's COPY path after its reach backfill
-- (internal/seed, which turns these triggers off while it writes).
CREATE FUNCTION public.qualify_backfill_contact_reach_counts() RETURNS void LANGUAGE sql AS $$
  DELETE FROM "contact_reach_counts";
  INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
    SELECT md5("reach"::text)::uuid, "id" % 8, "reach", count(*) FROM "contacts" GROUP BY "reach", "id" % 8;
$$;
SELECT public.qualify_backfill_contact_reach_counts();
