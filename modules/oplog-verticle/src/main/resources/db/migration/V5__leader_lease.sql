-- emcachers oplog schema, version 5: the leader lease on top of the advisory lock. Documented in
-- modules/oplog-verticle/README.md ("Leadership: the advisory lock and the lease").

-- One row per leader lock key. Only the session that holds pg_try_advisory_lock(lock_key) writes
-- it: on winning the lock it claims the lease (epoch + 1: the fencing token of its term), then
-- renews it every oplog.lease_renew_ms. A standby that finds expires_at passed while the lock is
-- still held by backend_pid (a frozen or partitioned leader whose session looks alive) ends that
-- backend with pg_terminate_backend and contends again. Times are the server's (now()), so the
-- nodes' clocks do not matter.
CREATE TABLE leader_lease (
    lock_key    bigint      PRIMARY KEY,
    epoch       bigint      NOT NULL CHECK (epoch >= 1),
    node_id     text        NOT NULL,
    backend_pid integer     NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
