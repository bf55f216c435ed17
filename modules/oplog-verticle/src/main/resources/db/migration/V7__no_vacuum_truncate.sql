-- emcachers oplog schema, version 7: VACUUM never truncates the oplog or the staging table.
-- Documented in modules/oplog-verticle/README.md ("Compaction and retention", Disk).

-- Truncating a table's empty tail pages takes an ACCESS EXCLUSIVE lock on it, which every append
-- then waits for: ~240 ms of stopped stream appends at the end of one compaction run's VACUUM in the
-- benchmark. Compaction and the purge empty pages anywhere in the table, and the appends reuse that
-- space (the table stops growing instead of shrinking), so the tail is kept. The storage parameter
-- holds for the run's VACUUM and for autovacuum alike. Metadata only: no rewrite.
ALTER TABLE oplog SET (vacuum_truncate = false);
ALTER TABLE oplog_staging SET (vacuum_truncate = false);
