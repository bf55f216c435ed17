-- emcachers oplog schema, version 3: synthetic (repair) rows. Documented in
-- modules/oplog-verticle/README.md ("Repair and latest rows").

-- true for a row written by emc.oplog.repair (a verification found a cache differing from the
-- source), false for rows of the change stream, of scans and of scan ends. Replicators apply both
-- alike; the flag is for audits and metrics.
-- ADD COLUMN with a constant (non-volatile) DEFAULT is metadata-only since PostgreSQL 11: existing
-- rows are not rewritten (they read the default, false) and the table is locked only briefly, so
-- the upgrade is instant even on a large oplog. No index: nothing filters on it.
ALTER TABLE oplog ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
