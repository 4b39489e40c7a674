-- Row-filter reach (internal/authz), hand-written: ent models no trigger. As on PostgreSQL: each
-- contact and activity carries its reach, the distinct owners of the leads that make it visible
-- (0 for no owner: the inbound pool), here as a JSON array; triggers recompute it from the links
-- on every write that can change it, and the UPDATEs at the end fill the existing rows.
ALTER TABLE `contacts` ADD COLUMN `reach` text NOT NULL DEFAULT '[]';
ALTER TABLE `activities` ADD COLUMN `reach` text NOT NULL DEFAULT '[]';
CREATE INDEX `leads_reach_account` ON `leads` (`account_id`, `owner_id`);
CREATE TRIGGER `contacts_reach_insert` AFTER INSERT ON `contacts` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
    SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
    UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o))
  WHERE `id` = new.`id`;
END;
CREATE TRIGGER `contacts_reach_update` AFTER UPDATE OF `account_id` ON `contacts` WHEN old.`account_id` IS NOT new.`account_id` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
    SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
    UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o))
  WHERE `id` = new.`id`;
END;
CREATE TRIGGER `contacts_reach_changed` AFTER UPDATE OF `reach` ON `contacts` WHEN old.`reach` IS NOT new.`reach` BEGIN
  UPDATE `activities` SET `reach` = new.`reach` WHERE `contact_id` = new.`id` AND `lead_id` IS NULL;
END;
-- As on PostgreSQL: the owner a lead's contacts gain through it is a union into their reach; the
-- one they may lose is recomputed, only for the contacts that hold it and can lose it.
CREATE TRIGGER `leads_reach_insert` AFTER INSERT ON `leads` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT o FROM (
    SELECT value AS o FROM json_each(`contacts`.`reach`) UNION SELECT coalesce(new.`owner_id`, 0)) ORDER BY o))
  WHERE (`account_id` = new.`account_id` OR `id` IN (SELECT `contact_id` FROM `lead_contacts` WHERE `lead_id` = new.`id`))
    AND NOT EXISTS (SELECT 1 FROM json_each(`contacts`.`reach`) WHERE value = coalesce(new.`owner_id`, 0));
END;
CREATE TRIGGER `leads_reach_update` AFTER UPDATE OF `owner_id`, `account_id` ON `leads`
WHEN old.`owner_id` IS NOT new.`owner_id` OR old.`account_id` IS NOT new.`account_id` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT o FROM (
    SELECT value AS o FROM json_each(`contacts`.`reach`) UNION SELECT coalesce(new.`owner_id`, 0)) ORDER BY o))
  WHERE (`account_id` = new.`account_id` OR `id` IN (SELECT `contact_id` FROM `lead_contacts` WHERE `lead_id` = new.`id`))
    AND NOT EXISTS (SELECT 1 FROM json_each(`contacts`.`reach`) WHERE value = coalesce(new.`owner_id`, 0));
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
    SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
    UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o))
  WHERE EXISTS (SELECT 1 FROM json_each(`contacts`.`reach`) WHERE value = coalesce(old.`owner_id`, 0))
    AND ((`account_id` = old.`account_id` AND NOT EXISTS (SELECT 1 FROM `leads` WHERE `account_id` = old.`account_id`
        AND `id` <> old.`id` AND coalesce(`owner_id`, 0) = coalesce(old.`owner_id`, 0)))
      OR `id` IN (SELECT `contact_id` FROM `lead_contacts` WHERE `lead_id` = old.`id`));
  UPDATE `activities` SET `reach` = json_array(coalesce(new.`owner_id`, 0)) WHERE `lead_id` = new.`id`;
END;
CREATE TRIGGER `leads_reach_delete` AFTER DELETE ON `leads` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
    SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
    UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o))
  WHERE EXISTS (SELECT 1 FROM json_each(`contacts`.`reach`) WHERE value = coalesce(old.`owner_id`, 0))
    AND ((`account_id` = old.`account_id` AND NOT EXISTS (SELECT 1 FROM `leads` WHERE `account_id` = old.`account_id`
        AND `id` <> old.`id` AND coalesce(`owner_id`, 0) = coalesce(old.`owner_id`, 0)))
      OR `id` IN (SELECT `contact_id` FROM `lead_contacts` WHERE `lead_id` = old.`id`));
END;
CREATE TRIGGER `lead_contacts_reach_insert` AFTER INSERT ON `lead_contacts` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
    SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
    UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o))
  WHERE `id` = new.`contact_id`;
END;
CREATE TRIGGER `lead_contacts_reach_delete` AFTER DELETE ON `lead_contacts` BEGIN
  UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
    SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
    UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o))
  WHERE `id` = old.`contact_id`;
END;
CREATE TRIGGER `activities_reach_insert` AFTER INSERT ON `activities` BEGIN
  UPDATE `activities` SET `reach` = CASE WHEN new.`lead_id` IS NOT NULL
    THEN (SELECT json_array(coalesce(`owner_id`, 0)) FROM `leads` WHERE `id` = new.`lead_id`)
    ELSE coalesce((SELECT `reach` FROM `contacts` WHERE `id` = new.`contact_id`), '[]') END
  WHERE `id` = new.`id`;
END;
CREATE TRIGGER `activities_reach_update` AFTER UPDATE OF `lead_id`, `contact_id` ON `activities`
WHEN old.`lead_id` IS NOT new.`lead_id` OR old.`contact_id` IS NOT new.`contact_id` BEGIN
  UPDATE `activities` SET `reach` = CASE WHEN new.`lead_id` IS NOT NULL
    THEN (SELECT json_array(coalesce(`owner_id`, 0)) FROM `leads` WHERE `id` = new.`lead_id`)
    ELSE coalesce((SELECT `reach` FROM `contacts` WHERE `id` = new.`contact_id`), '[]') END
  WHERE `id` = new.`id`;
END;
UPDATE `contacts` SET `reach` = (SELECT json_group_array(o) FROM (SELECT DISTINCT o FROM (
  SELECT coalesce(l.`owner_id`, 0) AS o FROM `lead_contacts` lc JOIN `leads` l ON l.`id` = lc.`lead_id` WHERE lc.`contact_id` = `contacts`.`id`
  UNION ALL SELECT coalesce(`owner_id`, 0) FROM `leads` WHERE `leads`.`account_id` = `contacts`.`account_id`) ORDER BY o));
UPDATE `activities` SET `reach` = CASE WHEN `lead_id` IS NOT NULL
  THEN (SELECT json_array(coalesce(l.`owner_id`, 0)) FROM `leads` l WHERE l.`id` = `activities`.`lead_id`)
  ELSE coalesce((SELECT c.`reach` FROM `contacts` c WHERE c.`id` = `activities`.`contact_id`), '[]') END;

-- lead_counts: the number of leads per owner (owner_key 0: no owner, the inbound pool), kept
-- exact by the triggers below, so that an unfiltered page's totalCount sums a few rows instead
-- of counting every visible lead (internal/totalcount). The slots (a lead's id modulo 8) are
-- PostgreSQL's, against concurrent inserts on one row; SQLite keeps them for one reading.
CREATE TABLE `lead_counts` (`owner_key` integer NOT NULL, `slot` integer NOT NULL, `n` integer NOT NULL, PRIMARY KEY (`owner_key`, `slot`));
CREATE TRIGGER `lead_counts_insert` AFTER INSERT ON `leads` BEGIN
  INSERT INTO `lead_counts` (`owner_key`, `slot`, `n`) VALUES (coalesce(new.`owner_id`, 0), new.`id` % 8, 1)
    ON CONFLICT (`owner_key`, `slot`) DO UPDATE SET `n` = `n` + 1;
END;
CREATE TRIGGER `lead_counts_delete` AFTER DELETE ON `leads` BEGIN
  INSERT INTO `lead_counts` (`owner_key`, `slot`, `n`) VALUES (coalesce(old.`owner_id`, 0), old.`id` % 8, -1)
    ON CONFLICT (`owner_key`, `slot`) DO UPDATE SET `n` = `n` - 1;
END;
CREATE TRIGGER `lead_counts_owner` AFTER UPDATE OF `owner_id` ON `leads` WHEN old.`owner_id` IS NOT new.`owner_id` BEGIN
  INSERT INTO `lead_counts` (`owner_key`, `slot`, `n`) VALUES (coalesce(old.`owner_id`, 0), old.`id` % 8, -1)
    ON CONFLICT (`owner_key`, `slot`) DO UPDATE SET `n` = `n` - 1;
  INSERT INTO `lead_counts` (`owner_key`, `slot`, `n`) VALUES (coalesce(new.`owner_id`, 0), new.`id` % 8, 1)
    ON CONFLICT (`owner_key`, `slot`) DO UPDATE SET `n` = `n` + 1;
END;
INSERT INTO `lead_counts` (`owner_key`, `slot`, `n`) SELECT coalesce(`owner_id`, 0), `id` % 8, count(*) FROM `leads` WHERE true GROUP BY 1, 2;

-- Hand-written (internal/funnel, issue 21): funnel_leads again with its columns in the order the
-- queries read them (see ent/schema/funnellead.go): a scan deforms each row up to the last column
-- it needs, and the exits sat behind the 48 stage columns. PostgreSQL cannot move a column, so the
-- table is made anew, empty: the rollup is stale and the server rebuilds it at start.
DROP TABLE `funnel_leads`;
CREATE TABLE `funnel_leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `source` text NOT NULL, `r1` real NULL, `r2` real NULL, `r3` real NULL, `r4` real NULL, `r5` real NULL, `r6` real NULL, `r7` real NULL, `r8` real NULL, `r9` real NULL, `r10` real NULL, `r11` real NULL, `r12` real NULL, `exits` text NULL, `owner_id` integer NULL, `team` text NOT NULL DEFAULT (''), `industry` text NOT NULL DEFAULT (''), `region` text NOT NULL DEFAULT (''), `cohort_month` text NOT NULL, `account_id` integer NULL, `l1` real NULL, `c1` real NULL, `l2` real NULL, `c2` real NULL, `l3` real NULL, `c3` real NULL, `l4` real NULL, `c4` real NULL, `l5` real NULL, `c5` real NULL, `l6` real NULL, `c6` real NULL, `l7` real NULL, `c7` real NULL, `l8` real NULL, `c8` real NULL, `l9` real NULL, `c9` real NULL, `l10` real NULL, `c10` real NULL, `l11` real NULL, `c11` real NULL, `l12` real NULL, `c12` real NULL, `o1` integer NULL, `o2` integer NULL, `o3` integer NULL, `o4` integer NULL, `o5` integer NULL, `o6` integer NULL, `o7` integer NULL, `o8` integer NULL, `o9` integer NULL, `o10` integer NULL, `o11` integer NULL, `o12` integer NULL);
-- Set sequence for "funnel_leads" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_leads', 124554051584);

-- contact_reach_counts (internal/totalcount), hand-written: the number of contacts per reach
-- signature (their JSON reach, above), kept exact by the
-- triggers below, so that an unfiltered contacts page's totalCount for a row-filtered caller
-- sums the signatures whose reach meets the caller's owners instead of testing every contact.
-- The slots (a contact's id modulo 8 for a reach of at most one owner, else 0) are PostgreSQL's,
-- against concurrent writes on one row.
-- A contact is inserted with the reach it is given and the trigger contacts_reach_insert then
-- sets it by an UPDATE, counted as a move (an upsert of -1: the move may be counted before the
-- insert), whichever of the two insert triggers runs first. Rows at zero go.
CREATE TABLE `contact_reach_counts` (`reach` text NOT NULL, `slot` integer NOT NULL, `n` integer NOT NULL, PRIMARY KEY (`reach`, `slot`));
CREATE TRIGGER `contact_reach_counts_insert` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (new.`reach`, CASE WHEN json_array_length(new.`reach`) <= 1 THEN new.`id` % 8 ELSE 0 END, 1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` + 1;
END;
CREATE TRIGGER `contact_reach_counts_delete` AFTER DELETE ON `contacts` BEGIN
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (old.`reach`, CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END, -1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` - 1;
  DELETE FROM `contact_reach_counts` WHERE `reach` = old.`reach` AND `slot` = CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END AND `n` = 0;
END;
CREATE TRIGGER `contact_reach_counts_update` AFTER UPDATE OF `reach` ON `contacts` WHEN old.`reach` IS NOT new.`reach` BEGIN
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (old.`reach`, CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END, -1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` - 1;
  DELETE FROM `contact_reach_counts` WHERE `reach` = old.`reach` AND `slot` = CASE WHEN json_array_length(old.`reach`) <= 1 THEN old.`id` % 8 ELSE 0 END AND `n` = 0;
  INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) VALUES (new.`reach`, CASE WHEN json_array_length(new.`reach`) <= 1 THEN new.`id` % 8 ELSE 0 END, 1)
    ON CONFLICT (`reach`, `slot`) DO UPDATE SET `n` = `n` + 1;
END;
INSERT INTO `contact_reach_counts` (`reach`, `slot`, `n`) SELECT `reach`, CASE WHEN json_array_length(`reach`) <= 1 THEN `id` % 8 ELSE 0 END, count(*) FROM `contacts` WHERE true GROUP BY 1, 2;
