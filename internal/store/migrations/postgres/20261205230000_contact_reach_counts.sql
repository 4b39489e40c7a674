-- contact_reach_counts (internal/contactcount), hand-written: the number of contacts per reach
-- signature (the distinct owners that make a contact visible, migration
-- "contact_reach_lead_counts"), kept exact by the triggers below, so that an unfiltered contacts
-- page's totalCount for a row-filtered caller sums the few thousand signatures whose reach meets
-- the caller's owners instead of reading every contact row (126k at 100k leads). Keyed by the
-- md5 of the reach, not the array itself: a B-tree entry holds at most ~2.7 kB, which a contact
-- reached by some 330 owners would pass. The count of a signature of at most one owner (none:
-- every new contact passes through it; the pool; one rep) is spread over 8 slots (a contact's
-- id modulo 8) so that concurrent writes of one signature do not queue on one row; a signature
-- of several owners, rarely written at once, keeps one: at 100k leads 5.1k rows, summed for a
-- BDR in ~1 ms, where 8 slots for all made 27.7k rows and ~5 ms.
CREATE TABLE "contact_reach_counts" ("key" uuid NOT NULL, "slot" smallint NOT NULL, "reach" bigint[] NOT NULL, "n" bigint NOT NULL, PRIMARY KEY ("key", "slot"));
CREATE FUNCTION public.qualify_contact_reach_slot(reach bigint[], id bigint) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT CAST(CASE WHEN cardinality(reach) <= 1 THEN id % 8 ELSE 0 END AS smallint)
$$;
-- Per statement from the transition tables: a COPY or a lead's refresh of the contacts at its
-- account is one upsert. Rows are written in key order, so two statements lock the counter rows
-- they share in the same order. Rows that reach zero go, so that signatures no contact holds any
-- more are not summed forever (a concurrent increment of such a row waits for the delete and
-- inserts it again).
CREATE FUNCTION public.qualify_contact_reach_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
      SELECT md5("reach"::text)::uuid, "slot", "reach", count(*) FROM (
        SELECT "reach", qualify_contact_reach_slot("reach", "id") AS "slot" FROM "contact_reach_new") AS m GROUP BY "reach", "slot" ORDER BY 1, 2
      ON CONFLICT ("key", "slot") DO UPDATE SET "n" = "contact_reach_counts"."n" + excluded."n";
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
      SELECT md5("reach"::text)::uuid, "slot", "reach", -count(*) FROM (
        SELECT "reach", qualify_contact_reach_slot("reach", "id") AS "slot" FROM "contact_reach_old") AS m GROUP BY "reach", "slot" ORDER BY 1, 2
      ON CONFLICT ("key", "slot") DO UPDATE SET "n" = "contact_reach_counts"."n" + excluded."n";
    DELETE FROM "contact_reach_counts" WHERE "n" = 0 AND "key" IN (SELECT md5("reach"::text)::uuid FROM "contact_reach_old");
  ELSE
    INSERT INTO "contact_reach_counts" ("key", "slot", "reach", "n")
      SELECT md5("reach"::text)::uuid, "slot", "reach", sum("d") FROM (
        SELECT o."reach", qualify_contact_reach_slot(o."reach", o."id") AS "slot", -1 AS "d" FROM "contact_reach_old" o JOIN "contact_reach_new" n ON n."id" = o."id" WHERE o."reach" IS DISTINCT FROM n."reach"
        UNION ALL
        SELECT n."reach", qualify_contact_reach_slot(n."reach", n."id"), 1 FROM "contact_reach_old" o JOIN "contact_reach_new" n ON n."id" = o."id" WHERE o."reach" IS DISTINCT FROM n."reach") AS m
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
    SELECT md5("reach"::text)::uuid, "slot", "reach", count(*) FROM (
      SELECT "reach", qualify_contact_reach_slot("reach", "id") AS "slot" FROM "contacts") AS m GROUP BY "reach", "slot";
$$;
SELECT public.qualify_backfill_contact_reach_counts();
