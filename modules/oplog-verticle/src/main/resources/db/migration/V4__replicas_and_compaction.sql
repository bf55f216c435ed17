-- emcachers oplog schema, version 4: the replica registry and compaction. Documented in
-- modules/oplog-verticle/README.md ("Compaction and retention").

-- Every replicator node that reports its progress (emc.oplog.replica.report). applied_offset is the
-- highest oplog id the node has applied to all its caches; it never moves backwards unless the node
-- reports that it rebuilt. Replicas seen within oplog.replica_expiry_ms hold the tombstone horizon
-- back (no delete they have not applied is removed). rebuild_required is set by a compaction that
-- removed deletes above the offset of a replica that was not seen within the expiry (or when a
-- node registers with an offset below the tombstone horizon); it is cleared by a rebuilt report.
CREATE TABLE replicas (
    node_id          text        PRIMARY KEY,
    applied_offset   bigint      NOT NULL CHECK (applied_offset >= 0),
    last_seen        timestamptz NOT NULL,
    registered_at    timestamptz NOT NULL DEFAULT now(),
    rebuild_required boolean     NOT NULL DEFAULT false
);

-- The compaction state lives in metadata (no new table):
--   compaction        {"compacted_below": H, "tombstone_horizon": T, "compaction_horizon": H,
--                      "last_run": {...}} -- raised before a run's first delete commits
--   compaction_marks  [[epoch_ms, head_id], ...] -- the head at each run, to map time to ids
