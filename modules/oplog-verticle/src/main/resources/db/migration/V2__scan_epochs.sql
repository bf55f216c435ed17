-- emcachers oplog schema, version 2: scan generations, bounded long writes, injective doc ids.
-- Documented in modules/oplog-verticle/README.md.

-- The scan generation of each entity: +1 on re-create, on a shape change and on every scan attempt.
-- Streamed entries carry the epoch they were projected under; only the current epoch's entries are
-- written or staged, and scan batches / scan end of any other epoch are refused.
ALTER TABLE entities ADD COLUMN epoch bigint NOT NULL DEFAULT 1 CHECK (epoch >= 1);

-- The epoch a staged row was staged under: a scan end moves only its own epoch's rows.
ALTER TABLE oplog_staging ADD COLUMN epoch bigint NOT NULL DEFAULT 1;

-- The _id -> doc_id rule became injective (rule 2): every entity is re-scanned, so its rows get the
-- new ids and the scan's proven deletes remove the rows under the old ones.
UPDATE entities SET status = 'pending', version = version + 1, epoch = epoch + 1, updated_at = now()
 WHERE status <> 'deleted';
DELETE FROM metadata WHERE key LIKE 'scan_progress:%' OR key LIKE 'scan_start:%';
