/**
 * The dashboard's data contract: every API call the page makes and every response field it reads.
 * The other scripts take their paths from here and read only fields listed here:
 * DashboardAssetsTest (api module) checks that no script names another API path or snake_case
 * field, and DashboardContractIT (launcher) calls each entry on a running node and checks that
 * every field is in the real response.
 *
 * Field paths: `a.b` a key, `a[]` every element of an array, `a.*` every value of an object; a
 * trailing `?` marks a field the page reads only when present (e.g. `failing` only when DOWN).
 * `accept`: statuses besides 2xx whose body the page renders. The text between the markers is
 * JSON, so the tests read it without a JavaScript engine.
 */
export const CONTRACT = /* contract:begin */ {
  "health": {
    "method": "GET", "path": "/health", "auth": "open", "accept": [503],
    "fields": ["status", "failing?"]
  },
  "detailed": {
    "method": "GET", "path": "/health/detailed", "auth": "read", "accept": [503],
    "fields": ["status", "checks[].id", "checks[].status", "checks[].reason?", "api.node"]
  },
  "entities": {
    "method": "GET", "path": "/api/entities", "auth": "read",
    "fields": ["entities[].name", "entities[].status", "entities[].version",
               "entities[].shape.source_name", "entities[].shape.columns", "entities[].updated_at"]
  },
  "replication": {
    "method": "GET", "path": "/api/replication/stats", "auth": "read",
    "fields": ["nodes[].node", "nodes[].entities.*.last_applied_id", "nodes[].entities.*.lag_rows",
               "nodes[].entities.*.lag_seconds", "nodes[].entities.*.status"]
  },
  "rows": {
    "method": "POST", "path": "/api/cache/{entity}/query", "auth": "read",
    "sql": "SELECT count(*) AS n FROM \"{entity}\"",
    "fields": ["rows[].n"]
  },
  "jobs": {
    "method": "GET", "path": "/api/jobs", "auth": "read",
    "fields": ["jobs[].component", "jobs[].node", "jobs[].name", "jobs[].interval_ms", "jobs[].running",
               "jobs[].run_count", "jobs[].failure_count", "jobs[].last_start", "jobs[].last_outcome",
               "jobs[].last_error", "unavailable[].component?", "unavailable[].reason?"]
  },
  "cluster": {
    "method": "GET", "path": "/api/cluster", "auth": "read",
    "fields": ["node", "leader.node", "leader.leader_epoch", "members[].node", "members[].roles",
               "members[].stale", "members[].last_seen_ms_ago", "members[].serving"]
  },
  "verifications": {
    "method": "GET", "path": "/api/verifications", "auth": "read",
    "fields": ["verifications[].id", "verifications[].entity", "verifications[].state",
               "verifications[].step", "verifications[].started_at", "verifications[].counts.docs_checked",
               "verifications[].counts.missing", "verifications[].counts.extra",
               "verifications[].counts.different", "verifications[].error"]
  },
  "create": {
    "method": "POST", "path": "/api/entities", "auth": "write",
    "fields": ["name", "status"]
  },
  "verify": {
    "method": "POST", "path": "/api/entities/{name}/verify", "auth": "write",
    "fields": ["job.id", "job.state"]
  },
  "recreate": {
    "method": "POST", "path": "/api/replication/recreate/{entity}", "auth": "write",
    "fields": ["job_id", "status"]
  },
  "delete": {
    "method": "DELETE", "path": "/api/entities/{name}", "auth": "write",
    "fields": ["name", "status"]
  },
  "error": {
    "about": "the body of every 4xx/5xx answer; details on validation_failed",
    "fields": ["error.code", "error.message", "error.details[].field", "error.details[].message"]
  },
  "feed": {
    "method": "WS", "path": "/ws/status", "auth": "read",
    "protocol": "emc.status", "key_prefix": "emc.bearer.",
    "events": {
      "node": {
        "match": {"type": "progress", "component": "replicator", "entity": null},
        "fields": ["ts", "data.node", "data.rows_applied", "data.head_id", "data.lag_rows"]
      },
      "entity": {
        "match": {"type": "progress", "component": "replicator"},
        "fields": ["entity", "state", "ts", "data.node", "data.last_applied_id", "data.lag_rows",
                   "data.lag_seconds"]
      },
      "status": {
        "match": {"type": "entity"},
        "fields": ["entity", "state", "ts"]
      }
    }
  }
} /* contract:end */;

/** The URL path of a contract entry with its `{placeholders}` filled (each value encoded). */
export function pathOf(name, params = {}) {
  let path = CONTRACT[name].path;
  for (const [k, v] of Object.entries(params)) {
    path = path.replace(`{${k}}`, encodeURIComponent(v));
  }
  return path;
}
