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
