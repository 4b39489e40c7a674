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
-- of counting every visible lead (internal/leadcount). The slots (a lead's id modulo 8) are
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
