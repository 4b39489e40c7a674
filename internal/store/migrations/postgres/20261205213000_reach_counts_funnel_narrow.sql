-- Row-filter reach (internal/authz), hand-written: ent models no trigger or array column. A
-- contact is visible through the owners of the leads linked to it (lead_contacts) and of the
-- leads at its account; an activity through its lead's owner, or without a lead, as its
-- contact. Evaluated over every row at read time that cost a BDR 0.5 s for a contact count (and
-- a stored (contact, owner) table joined back to contacts still 30x the unfiltered count). So
-- each row carries its reach: the distinct owners that make it visible, 0 for no owner (the
-- inbound pool), and a caller's filter is one array overlap on the row itself. Team membership
-- is joined at read time: a team change needs no upkeep. Triggers recompute the reach of the
-- rows a write touches from the links themselves, so the order in which PostgreSQL runs them
-- (cascades included) does not matter.
ALTER TABLE "contacts" ADD COLUMN "reach" bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE "activities" ADD COLUMN "reach" bigint[] NOT NULL DEFAULT '{}';
-- No index holds the reach: an index-only count over (reach, id) took a BDR's contact count from
-- 40 ms to 22 (unfiltered: 10) at 100k leads, but a B-tree entry holds at most ~2.7 kB, and a
-- contact reached by some 330 owners (an account many reps sell into) would refuse every write
-- that touches it.
-- Owners of the leads at an account, read by the reach of its contacts.
CREATE INDEX "leads_reach_account" ON "leads" ("account_id", "owner_id");
CREATE FUNCTION public.qualify_contact_reach(contact bigint, account bigint) RETURNS bigint[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(DISTINCT o ORDER BY o), '{}') FROM (
    SELECT coalesce(l.owner_id, 0) AS o FROM lead_contacts lc JOIN leads l ON l.id = lc.lead_id WHERE lc.contact_id = contact
    UNION ALL SELECT coalesce(owner_id, 0) FROM leads WHERE account_id = account) AS s
$$;
-- Recomputes the reach of the contacts in ids; a contact whose reach changes passes it on to its
-- activities without a lead (trigger contacts_reach_changed).
CREATE FUNCTION public.qualify_refresh_contacts(ids bigint[]) RETURNS void LANGUAGE sql AS $$
  UPDATE contacts c SET reach = r.reach
  FROM (SELECT id, qualify_contact_reach(id, account_id) AS reach FROM contacts WHERE id = ANY(ids)) AS r
  WHERE c.id = r.id AND c.reach IS DISTINCT FROM r.reach;
$$;
CREATE FUNCTION public.qualify_contacts_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.reach := qualify_contact_reach(NEW.id, NEW.account_id);
  RETURN NEW;
END $$;
CREATE TRIGGER "contacts_reach_insert" BEFORE INSERT ON "contacts"
  FOR EACH ROW EXECUTE FUNCTION public.qualify_contacts_reach();
CREATE TRIGGER "contacts_reach_update" BEFORE UPDATE OF "account_id" ON "contacts"
  FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id) EXECUTE FUNCTION public.qualify_contacts_reach();
CREATE FUNCTION public.qualify_contacts_reach_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE activities SET reach = NEW.reach WHERE contact_id = NEW.id AND lead_id IS NULL AND reach IS DISTINCT FROM NEW.reach;
  RETURN NULL;
END $$;
CREATE TRIGGER "contacts_reach_changed" AFTER UPDATE OF "reach", "account_id" ON "contacts"
  FOR EACH ROW WHEN (OLD.reach IS DISTINCT FROM NEW.reach) EXECUTE FUNCTION public.qualify_contacts_reach_changed();
-- A lead's write: the owner its contacts (those at its account and those linked to it) now
-- reach through it is added to their reach, a union with no recomputation, so that a lead
-- created at an account of many contacts costs one UPDATE of the contacts that lack the owner,
-- not a recomputation of every one from every lead there. The owner they may no longer reach
-- through it (its old owner, or its old account's) is recomputed from the links, and only for
-- the contacts that hold it and can lose it: at the old account unless another lead there has
-- that owner, and linked to the lead.
CREATE FUNCTION public.qualify_leads_reach() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gained bigint;
  lost bigint;
BEGIN
  IF TG_OP <> 'DELETE' THEN
    gained := coalesce(NEW.owner_id, 0);
    -- Two statements, not an OR of the two sets: each reads its own index.
    UPDATE contacts SET reach = ARRAY(SELECT DISTINCT x FROM unnest(reach || gained) AS x ORDER BY x)
    WHERE account_id = NEW.account_id AND NOT reach @> ARRAY[gained];
    UPDATE contacts SET reach = ARRAY(SELECT DISTINCT x FROM unnest(reach || gained) AS x ORDER BY x)
    WHERE id IN (SELECT contact_id FROM lead_contacts WHERE lead_id = NEW.id) AND NOT reach @> ARRAY[gained];
    UPDATE activities SET reach = ARRAY[gained] WHERE lead_id = NEW.id AND reach <> ARRAY[gained];
  END IF;
  IF TG_OP <> 'INSERT' THEN
    lost := coalesce(OLD.owner_id, 0);
    PERFORM qualify_refresh_contacts(ARRAY(
      SELECT id FROM contacts WHERE account_id = OLD.account_id AND reach @> ARRAY[lost]
        AND NOT EXISTS (SELECT 1 FROM leads WHERE account_id = OLD.account_id AND id <> OLD.id
          AND (owner_id = lost OR (lost = 0 AND owner_id IS NULL)))
      UNION SELECT c.id FROM lead_contacts lc JOIN contacts c ON c.id = lc.contact_id
        WHERE lc.lead_id = OLD.id AND c.reach @> ARRAY[lost]));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "leads_reach_insert" AFTER INSERT ON "leads"
  FOR EACH ROW EXECUTE FUNCTION public.qualify_leads_reach();
CREATE TRIGGER "leads_reach_update" AFTER UPDATE OF "owner_id", "account_id" ON "leads"
  FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.account_id IS DISTINCT FROM NEW.account_id)
  EXECUTE FUNCTION public.qualify_leads_reach();
CREATE TRIGGER "leads_reach_delete" AFTER DELETE ON "leads"
  FOR EACH ROW EXECUTE FUNCTION public.qualify_leads_reach();
CREATE FUNCTION public.qualify_lead_contacts_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM qualify_refresh_contacts(ARRAY[OLD.contact_id]);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM qualify_refresh_contacts(ARRAY[NEW.contact_id]);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "lead_contacts_reach" AFTER INSERT OR UPDATE OR DELETE ON "lead_contacts"
  FOR EACH ROW EXECUTE FUNCTION public.qualify_lead_contacts_reach();
-- An activity's reach: its lead's owner, or without a lead, its contact's reach (none without either).
CREATE FUNCTION public.qualify_activity_reach(lead bigint, contact bigint) RETURNS bigint[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN lead IS NOT NULL THEN (SELECT ARRAY[coalesce(owner_id, 0)] FROM leads WHERE id = lead)
    ELSE (SELECT reach FROM contacts WHERE id = contact) END
$$;
CREATE FUNCTION public.qualify_activities_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.reach := coalesce(qualify_activity_reach(NEW.lead_id, NEW.contact_id), '{}');
  RETURN NEW;
END $$;
CREATE TRIGGER "activities_reach_insert" BEFORE INSERT ON "activities"
  FOR EACH ROW EXECUTE FUNCTION public.qualify_activities_reach();
CREATE TRIGGER "activities_reach_update" BEFORE UPDATE OF "lead_id", "contact_id" ON "activities"
  FOR EACH ROW WHEN (OLD.lead_id IS DISTINCT FROM NEW.lead_id OR OLD.contact_id IS DISTINCT FROM NEW.contact_id)
  EXECUTE FUNCTION public.qualify_activities_reach();
-- The existing rows (the seed fills them the same way after its COPY: qualify_backfill_reach).
CREATE FUNCTION public.qualify_backfill_reach() RETURNS void LANGUAGE sql AS $$
  UPDATE contacts c SET reach = r.reach FROM (
    SELECT contact_id, array_agg(DISTINCT o ORDER BY o) AS reach FROM (
      SELECT lc.contact_id, coalesce(l.owner_id, 0) AS o FROM lead_contacts lc JOIN leads l ON l.id = lc.lead_id
      UNION ALL SELECT ct.id, coalesce(l.owner_id, 0) FROM contacts ct JOIN leads l ON l.account_id = ct.account_id) AS p
    GROUP BY contact_id) AS r
  WHERE c.id = r.contact_id AND c.reach IS DISTINCT FROM r.reach;
  UPDATE activities a SET reach = ARRAY[coalesce(l.owner_id, 0)] FROM leads l
  WHERE l.id = a.lead_id AND a.reach IS DISTINCT FROM ARRAY[coalesce(l.owner_id, 0)];
  UPDATE activities a SET reach = c.reach FROM contacts c
  WHERE a.lead_id IS NULL AND c.id = a.contact_id AND a.reach IS DISTINCT FROM c.reach;
$$;
SELECT public.qualify_backfill_reach();

-- lead_counts: the number of leads per owner (owner_key 0: no owner, the inbound pool), kept
-- exact by the triggers below, so that an unfiltered page's totalCount sums a few rows instead
-- of counting every visible lead (internal/totalcount). Each owner's count is spread over 8 slots
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

-- Hand-written (internal/funnel, issue 21): funnel_leads again with its columns in the order the
-- queries read them (see ent/schema/funnellead.go): a scan deforms each row up to the last column
-- it needs, and the exits sat behind the 48 stage columns. PostgreSQL cannot move a column, so the
-- table is made anew, empty: the rollup is stale and the server rebuilds it at start.
DROP TABLE "funnel_leads";
CREATE TABLE "funnel_leads" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY (START WITH 124554051584), "created_at" timestamptz NOT NULL, "source" character varying NOT NULL, "r1" double precision NULL, "r2" double precision NULL, "r3" double precision NULL, "r4" double precision NULL, "r5" double precision NULL, "r6" double precision NULL, "r7" double precision NULL, "r8" double precision NULL, "r9" double precision NULL, "r10" double precision NULL, "r11" double precision NULL, "r12" double precision NULL, "exits" text NULL, "owner_id" bigint NULL, "team" character varying NOT NULL DEFAULT '', "industry" character varying NOT NULL DEFAULT '', "region" character varying NOT NULL DEFAULT '', "cohort_month" character varying NOT NULL, "account_id" bigint NULL, "l1" double precision NULL, "c1" double precision NULL, "l2" double precision NULL, "c2" double precision NULL, "l3" double precision NULL, "c3" double precision NULL, "l4" double precision NULL, "c4" double precision NULL, "l5" double precision NULL, "c5" double precision NULL, "l6" double precision NULL, "c6" double precision NULL, "l7" double precision NULL, "c7" double precision NULL, "l8" double precision NULL, "c8" double precision NULL, "l9" double precision NULL, "c9" double precision NULL, "l10" double precision NULL, "c10" double precision NULL, "l11" double precision NULL, "c11" double precision NULL, "l12" double precision NULL, "c12" double precision NULL, "o1" bigint NULL, "o2" bigint NULL, "o3" bigint NULL, "o4" bigint NULL, "o5" bigint NULL, "o6" bigint NULL, "o7" bigint NULL, "o8" bigint NULL, "o9" bigint NULL, "o10" bigint NULL, "o11" bigint NULL, "o12" bigint NULL, PRIMARY KEY ("id"));

-- contact_reach_counts (internal/totalcount), hand-written: the number of contacts per reach
-- signature (the distinct owners that make a contact visible, above),
-- kept exact by the triggers below, so that an unfiltered contacts
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
