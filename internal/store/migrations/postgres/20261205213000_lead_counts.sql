-- lead_counts: the number of leads per owner (owner_key 0: no owner, the inbound pool), kept
-- exact by the triggers below, so that an unfiltered page's totalCount sums a few rows instead
-- of counting every visible lead (internal/leadcount). Each owner's count is spread over 8 slots
-- (a lead's id modulo 8) so that concurrent inserts into the pool do not queue on one row; a
-- count is the sum of its owner's slots.
CREATE TABLE "lead_counts" ("owner_key" bigint NOT NULL, "slot" smallint NOT NULL, "n" bigint NOT NULL, PRIMARY KEY ("owner_key", "slot"));
-- Inserts and deletes count per statement from their transition tables: a seed's or an import's
-- COPY of thousands of leads is a handful of upserts. Rows are upserted in key order, so two
-- statements lock the counter rows they share in the same order.
CREATE FUNCTION "lead_counts_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "lead_counts" ("owner_key", "slot", "n")
    SELECT coalesce("owner_id", 0), "id" % 8, count(*) FROM "lead_counts_rows" GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT ("owner_key", "slot") DO UPDATE SET "n" = "lead_counts"."n" + excluded."n";
  RETURN NULL;
END $$;
CREATE FUNCTION "lead_counts_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "lead_counts" ("owner_key", "slot", "n")
    SELECT coalesce("owner_id", 0), "id" % 8, -count(*) FROM "lead_counts_rows" GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT ("owner_key", "slot") DO UPDATE SET "n" = "lead_counts"."n" + excluded."n";
  RETURN NULL;
END $$;
CREATE TRIGGER "lead_counts_insert" AFTER INSERT ON "leads" REFERENCING NEW TABLE AS "lead_counts_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lead_counts_inserted"();
CREATE TRIGGER "lead_counts_delete" AFTER DELETE ON "leads" REFERENCING OLD TABLE AS "lead_counts_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lead_counts_deleted"();
-- An owner change moves one lead between two owners. Per row, and only when owner_id is set and
-- changes: the statement-level form would copy every updated lead (each activity re-qualifies
-- its lead) into transition tables. The lower key is written first, as above.
CREATE FUNCTION "lead_counts_moved"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "lead_counts" ("owner_key", "slot", "n")
    VALUES (coalesce(OLD."owner_id", 0), OLD."id" % 8, -1), (coalesce(NEW."owner_id", 0), NEW."id" % 8, 1)
    ORDER BY 1, 2
    ON CONFLICT ("owner_key", "slot") DO UPDATE SET "n" = "lead_counts"."n" + excluded."n";
  RETURN NULL;
END $$;
CREATE TRIGGER "lead_counts_owner" AFTER UPDATE OF "owner_id" ON "leads" FOR EACH ROW WHEN (OLD."owner_id" IS DISTINCT FROM NEW."owner_id") EXECUTE FUNCTION "lead_counts_moved"();
INSERT INTO "lead_counts" ("owner_key", "slot", "n") SELECT coalesce("owner_id", 0), "id" % 8, count(*) FROM "leads" GROUP BY 1, 2;
