-- emcachers oplog schema, version 1. Documented in modules/oplog-verticle/README.md.

-- Replicated entities: name, shape (columns projected from the source collection) and lifecycle.
CREATE TABLE entities (
    name       text        PRIMARY KEY,
    shape      jsonb       NOT NULL,
    status     text        NOT NULL CHECK (status IN ('pending', 'scanning', 'live', 'failed', 'deleted')),
    version    bigint      NOT NULL CHECK (version >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The ordered, durable oplog. Only the leader writes it, one transaction at a time on one
-- connection, so ids become visible in increasing order. The primary key serves id-range reads
-- (id > after ORDER BY id); oplog_entity_id_idx serves per-entity reads and purges.
CREATE TABLE oplog (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    op         text        NOT NULL CHECK (op IN ('Upsert', 'Delete')),
    entity     text        NOT NULL,
    doc_id     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    data       jsonb
);
CREATE INDEX oplog_entity_id_idx ON oplog (entity, id);

-- Streamed entries of entities that are pending or scanning, held until the entity's scan ends;
-- then moved (in seq order) behind the scan rows in oplog.
CREATE TABLE oplog_staging (
    seq        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity     text        NOT NULL,
    op         text        NOT NULL CHECK (op IN ('Upsert', 'Delete')),
    doc_id     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    data       jsonb
);
CREATE INDEX oplog_staging_entity_seq_idx ON oplog_staging (entity, seq);

-- Small key/value state committed together with the rows it describes:
--   mongo_resume_token    {"<stream>": <resume token JSON>, ...}
--   scan_progress:<name>  {"last_id": {"v": <last scanned _id>}, "scanned": <count>}
CREATE TABLE metadata (
    key   text  PRIMARY KEY,
    value jsonb NOT NULL
);
