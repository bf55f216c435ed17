-- emcachers oplog schema, version 2: scan generations, bounded long writes, injective doc ids.
-- Documented in modules/oplog-verticle/README.md.

-- The scan generation of each entity: +1 on re-create, on a shape change and on every scan attempt.
-- Streamed entries carry the epoch they were projected under; only the current epoch's entries are
-- written or staged, and scan batches / scan end of any other epoch are refused.
ALTER TABLE entities ADD COLUMN epoch bigint NOT NULL DEFAULT 1 CHECK (epoch >= 1);

-- The epoch a staged row was staged under: a scan end moves only its own epoch's rows.
ALTER TABLE oplog_staging ADD COLUMN epoch bigint NOT NULL DEFAULT 1;

-- Per-document probes (the proven deletes of a re-scan, done in bounded chunks). Hash indexes store
-- a 4-byte hash, so doc ids of any length are indexable.
CREATE INDEX oplog_doc_id_hash_idx ON oplog USING hash (doc_id);
CREATE INDEX oplog_staging_doc_id_hash_idx ON oplog_staging USING hash (doc_id);

-- The _id -> doc_id rule became injective (rule 2): every entity is re-scanned, so its rows get the
-- new ids and the scan's proven deletes remove the rows under the old ones.
UPDATE entities SET status = 'pending', version = version + 1, epoch = epoch + 1, updated_at = now()
 WHERE status <> 'deleted';
DELETE FROM metadata WHERE key LIKE 'scan_progress:%' OR key LIKE 'scan_start:%';
