-- emcachers oplog schema, version 6: source cluster times, for read-your-writes. Documented in
-- modules/oplog-verticle/README.md ("Cluster times and read-your-writes").

-- The MongoDB cluster time of the change event a row comes from (the event's clusterTime, a BSON
-- timestamp stored as its 64-bit value: seconds << 32 | increment). NULL for scan rows, repair
-- rows, rows written before this version, and when the source gives none. A staged row keeps it
-- when the scan end moves it into oplog. Nullable without a default: metadata-only, no rewrite.
ALTER TABLE oplog ADD COLUMN cluster_time bigint;
ALTER TABLE oplog_staging ADD COLUMN cluster_time bigint;

-- Each stream's committed cluster-time high-water mark lives in metadata (no new table), written
-- in the same statement as the stream's resume token and never lowered:
--   stream_cluster_time  {"<stream>": <cluster time of the position the stream committed>, ...}
