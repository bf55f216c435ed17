package io.emcachers.oplog;

import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.section;

import io.emcachers.core.circuit.BreakerConfig;
import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Configuration of the {@link OplogVerticle}: the shared {@code postgres} section ({@code url},
 * {@code pool_size}, {@code connect_timeout_ms}), the root {@code node_id}, and the {@code oplog}
 * section. Every value is validated; a bad one throws {@link IllegalArgumentException} naming the
 * key.
 *
 * <p>Longer than our usual 300 lines on purpose: one record per verticle holds every key of its
 * section, and most lines are the documentation and validation of each key.
 *
 * @param pgHost PostgreSQL host (from {@code postgres.url})
 * @param pgPort PostgreSQL port (from {@code postgres.url}, default 5432)
 * @param pgUser user (from {@code postgres.url}, default {@code postgres})
 * @param pgPassword password or null (from {@code postgres.url})
 * @param pgDatabase database (from {@code postgres.url}, default the user name)
 * @param pgSslMode {@code sslmode} query parameter of {@code postgres.url}, or null
 * @param poolSize size of the read pool ({@code postgres.pool_size})
 * @param connectTimeoutMs connect timeout of every PostgreSQL connection ({@code
 *     postgres.connect_timeout_ms})
 * @param nodeId this node's id (root {@code node_id}; host name and pid when null)
 * @param leaderLockKey key of the {@code pg_try_advisory_lock} that elects the writer
 * @param standbyRetryMs how often a standby re-contends for the lock (and how often a leader pings
 *     its session)
 * @param maxBatchEntries the largest accepted {@code AppendBatch}
 * @param entityRefreshIntervalMs period of the entity refresh job
 * @param reconnectInitialBackoffMs first delay after the writer connection fails
 * @param reconnectMaxBackoffMs cap of the writer's reconnect backoff
 * @param readMaxRows cap of {@code OplogReadRequest.limit} ({@code oplog.read_max_rows})
 * @param writeTimeoutMs a write transaction running longer than this closes the writer connection
 *     (its outcome is then unknown and the work fails UNAVAILABLE) ({@code oplog.write_timeout_ms})
 * @param maxQueuedWrites writes waiting for the writer connection beyond this fail UNAVAILABLE
 *     ({@code oplog.max_queued_writes})
 * @param chunkRows rows one transaction of a long write moves or deletes at most (a scan end's
 *     staged rows and proven deletes, an entity purge), so no transaction holds the writer for long
 *     ({@code oplog.chunk_rows})
 * @param retainHistoryMs the recent window whose full history compaction keeps ({@code
 *     oplog.retain_history_ms})
 * @param replicaExpiryMs a replica not seen for this long no longer holds the tombstone horizon
 *     back ({@code oplog.replica_expiry_ms})
 * @param compactionIntervalMs period of the leader's compaction job, 0: not scheduled (on demand
 *     only) ({@code oplog.compaction_interval_ms})
 * @param vacuumCostDelayMs the {@code vacuum_cost_delay} of a compaction run's VACUUM, 0:
 *     unthrottled ({@code oplog.compaction_vacuum_cost_delay_ms}; see {@code Compactor})
 * @param compactionWorkMemMb the {@code work_mem} of a compaction run's candidate read, 0: the
 *     server's ({@code oplog.compaction_work_mem_mb}; see {@code CompactionStore#doomed})
 * @param lease the leader lease and the sessions' TCP keepalives ({@link LeaseConfig})
 * @param circuit the {@code postgresql} circuit breaker's settings (root section {@code circuit},
 *     shared with the listener)
 */
public record OplogConfig(
    String pgHost,
    int pgPort,
    String pgUser,
    String pgPassword,
    String pgDatabase,
    String pgSslMode,
    int poolSize,
    int connectTimeoutMs,
    String nodeId,
    long leaderLockKey,
    long standbyRetryMs,
    int maxBatchEntries,
    long entityRefreshIntervalMs,
    long reconnectInitialBackoffMs,
    long reconnectMaxBackoffMs,
    int readMaxRows,
    long writeTimeoutMs,
    int maxQueuedWrites,
    int chunkRows,
    long retainHistoryMs,
    long replicaExpiryMs,
    long compactionIntervalMs,
    int vacuumCostDelayMs,
    int compactionWorkMemMb,
    LeaseConfig lease,
    BreakerConfig circuit) {

  public static final int DEFAULT_PORT = 5432;
  public static final String DEFAULT_USER = "postgres";
  public static final int DEFAULT_POOL_SIZE = 4;
  public static final int DEFAULT_CONNECT_TIMEOUT_MS = 5000;
  public static final long DEFAULT_LEADER_LOCK_KEY = 727272L;
  public static final long DEFAULT_STANDBY_RETRY_MS = 2000L;
  public static final int DEFAULT_MAX_BATCH_ENTRIES = 10_000;
  public static final long DEFAULT_ENTITY_REFRESH_INTERVAL_MS = 30_000L;
  public static final long DEFAULT_RECONNECT_INITIAL_BACKOFF_MS = 200L;
  public static final long DEFAULT_RECONNECT_MAX_BACKOFF_MS = 10_000L;
  public static final int DEFAULT_READ_MAX_ROWS = 10_000;
  public static final long DEFAULT_WRITE_TIMEOUT_MS = 60_000L;
  public static final int DEFAULT_MAX_QUEUED_WRITES = 1024;
  public static final int DEFAULT_CHUNK_ROWS = 5000;
  public static final int DEFAULT_VACUUM_COST_DELAY_MS = 2;
  public static final int DEFAULT_COMPACTION_WORK_MEM_MB = 256;
  public static final long DEFAULT_RETAIN_HISTORY_MS = 24L * 60 * 60 * 1000;
  public static final long DEFAULT_REPLICA_EXPIRY_MS = 7L * 24 * 60 * 60 * 1000;
  public static final long DEFAULT_COMPACTION_INTERVAL_MS = 10L * 60 * 1000;

  /**
   * Upper bound of {@code oplog.max_batch_entries}: a batch is one statement with array parameters.
   */
  public static final int MAX_BATCH_ENTRIES_LIMIT = 1_000_000;

  /**
   * Reads and validates the {@code postgres} and {@code oplog} sections and {@code node_id} of the
   * root config.
   */
  public static OplogConfig fromJson(JsonObject root) {
    if (root == null) {
      throw new IllegalArgumentException("config must be a JSON object");
    }
    JsonObject pg = section(root, "postgres");
    JsonObject op = section(root, "oplog");

    Object urlValue = pg.getValue("url");
    if (urlValue == null) {
      throw new IllegalArgumentException(
          "postgres.url is required (form postgresql://user:pass@host:port/db)");
    }
    if (!(urlValue instanceof String url) || url.isBlank()) {
      throw new IllegalArgumentException(
          "postgres.url must be a non-empty string of the form postgresql://user:pass@host:port/db, got "
              + urlValue);
    }
    ParsedUrl parsed = parseUrl(url.trim());

    int poolSize = (int) integer(pg, "postgres.pool_size", "pool_size", DEFAULT_POOL_SIZE, 1, 1000);
    int connectTimeout =
        (int)
            integer(
                pg,
                "postgres.connect_timeout_ms",
                "connect_timeout_ms",
                DEFAULT_CONNECT_TIMEOUT_MS,
                1,
                Integer.MAX_VALUE);

    String nodeId = ConfigValues.nodeId(root);

    long lockKey =
        integer(
            op,
            "oplog.leader_lock_key",
            "leader_lock_key",
            DEFAULT_LEADER_LOCK_KEY,
            Long.MIN_VALUE,
            Long.MAX_VALUE);
    long standbyRetry =
        integer(
            op,
            "oplog.standby_retry_ms",
            "standby_retry_ms",
            DEFAULT_STANDBY_RETRY_MS,
            1,
            Integer.MAX_VALUE);
    int maxBatch =
        (int)
            integer(
                op,
                "oplog.max_batch_entries",
                "max_batch_entries",
                DEFAULT_MAX_BATCH_ENTRIES,
                1,
                MAX_BATCH_ENTRIES_LIMIT);
    long refresh =
        integer(
            op,
            "oplog.entity_refresh_interval_ms",
            "entity_refresh_interval_ms",
            DEFAULT_ENTITY_REFRESH_INTERVAL_MS,
            1,
            Integer.MAX_VALUE);
    long backoffInitial =
        integer(
            op,
            "oplog.reconnect_initial_backoff_ms",
            "reconnect_initial_backoff_ms",
            DEFAULT_RECONNECT_INITIAL_BACKOFF_MS,
            1,
            Integer.MAX_VALUE);
    long backoffMax =
        integer(
            op,
            "oplog.reconnect_max_backoff_ms",
            "reconnect_max_backoff_ms",
            DEFAULT_RECONNECT_MAX_BACKOFF_MS,
            1,
            Integer.MAX_VALUE);
    if (backoffMax < backoffInitial) {
      throw new IllegalArgumentException(
          "oplog.reconnect_max_backoff_ms must be >= oplog.reconnect_initial_backoff_ms ("
              + backoffInitial
              + "), got "
              + backoffMax);
    }
    int readMax =
        (int)
            integer(
                op, "oplog.read_max_rows", "read_max_rows", DEFAULT_READ_MAX_ROWS, 1, 1_000_000);
    long writeTimeout =
        integer(
            op,
            "oplog.write_timeout_ms",
            "write_timeout_ms",
            DEFAULT_WRITE_TIMEOUT_MS,
            1,
            Integer.MAX_VALUE);
    int maxQueued =
        (int)
            integer(
                op,
                "oplog.max_queued_writes",
                "max_queued_writes",
                DEFAULT_MAX_QUEUED_WRITES,
                1,
                1_000_000);
    int chunkRows =
        (int) integer(op, "oplog.chunk_rows", "chunk_rows", DEFAULT_CHUNK_ROWS, 1, 1_000_000);
    long retainHistory =
        integer(
            op,
            "oplog.retain_history_ms",
            "retain_history_ms",
            DEFAULT_RETAIN_HISTORY_MS,
            0,
            Long.MAX_VALUE / 2);
    long replicaExpiry =
        integer(
            op,
            "oplog.replica_expiry_ms",
            "replica_expiry_ms",
            DEFAULT_REPLICA_EXPIRY_MS,
            1,
            Long.MAX_VALUE / 2);
    long compactionInterval =
        integer(
            op,
            "oplog.compaction_interval_ms",
            "compaction_interval_ms",
            DEFAULT_COMPACTION_INTERVAL_MS,
            0,
            Integer.MAX_VALUE);
    int vacuumCostDelay =
        (int)
            integer(
                op,
                "oplog.compaction_vacuum_cost_delay_ms",
                "compaction_vacuum_cost_delay_ms",
                DEFAULT_VACUUM_COST_DELAY_MS,
                0,
                100);
    int workMem =
        (int)
            integer(
                op,
                "oplog.compaction_work_mem_mb",
                "compaction_work_mem_mb",
                DEFAULT_COMPACTION_WORK_MEM_MB,
                0,
                65_536);

    return new OplogConfig(
        parsed.host,
        parsed.port,
        parsed.user,
        parsed.password,
        parsed.database,
        parsed.sslMode,
        poolSize,
        connectTimeout,
        nodeId,
        lockKey,
        standbyRetry,
        maxBatch,
        refresh,
        backoffInitial,
        backoffMax,
        readMax,
        writeTimeout,
        maxQueued,
        chunkRows,
        retainHistory,
        replicaExpiry,
        compactionInterval,
        vacuumCostDelay,
        workMem,
        LeaseConfig.fromJson(op),
        BreakerConfig.fromJson(root));
  }

  /** {@code backend_flush_after} of every oplog session (see {@link #connectOptions}). */
  public static final String BACKEND_FLUSH_AFTER = "256kB";

  /** Connect options for the writer connection and the read pool. */
  public PgConnectOptions connectOptions() {
    PgConnectOptions options =
        new PgConnectOptions()
            .setHost(pgHost)
            .setPort(pgPort)
            .setUser(pgUser)
            .setDatabase(pgDatabase)
            .setCachePreparedStatements(true);
    if (pgPassword != null) {
      options.setPassword(pgPassword);
    }
    if (pgSslMode != null) {
      options.setSslMode(SslMode.of(pgSslMode));
    }
    options.addProperty("application_name", "emcachers-oplog");
    // server-side dead-peer detection (startup parameters): a client that vanished without a FIN
    // loses its backend, and with it the advisory lock; Vert.x 5 takes no socket options for a
    // single PgConnection, so the client side relies on the lease and the writer's idle ping
    options.addProperty("tcp_keepalives_idle", Integer.toString(lease.keepaliveIdleS()));
    options.addProperty("tcp_keepalives_interval", Integer.toString(lease.keepaliveIntervalS()));
    options.addProperty("tcp_keepalives_count", Integer.toString(lease.keepaliveCount()));
    options.addProperty("tcp_user_timeout", Integer.toString(lease.tcpUserTimeoutMs()));
    // Every oplog session (the writer, the read pool, so compaction's deletes, candidate read and
    // VACUUM) hands the pages it writes to the kernel as it goes, as the checkpointer does by
    // default. Without it a compaction run, which dirties the whole table, left hundreds of MB in
    // the page cache for the next checkpoint's fsync, and every commit's WAL fsync (the appends')
    // waited behind it for 200-300 ms (measured by the benchmark's compaction stage).
    options.addProperty("backend_flush_after", BACKEND_FLUSH_AFTER);
    return options;
  }

  /** The same server as a JDBC URL (for Flyway); the password is passed separately. */
  public String jdbcUrl() {
    String host = pgHost.contains(":") ? "[" + pgHost + "]" : pgHost;
    String url = "jdbc:postgresql://" + host + ":" + pgPort + "/" + pgDatabase;
    return pgSslMode == null ? url : url + "?sslmode=" + pgSslMode;
  }

  /** The connection target without credentials, for log lines. */
  public String describeTarget() {
    return "postgresql://" + pgUser + "@" + pgHost + ":" + pgPort + "/" + pgDatabase;
  }

  @Override
  public String toString() {
    return "OplogConfig["
        + describeTarget()
        + ", pool_size="
        + poolSize
        + ", node_id="
        + nodeId
        + ", leader_lock_key="
        + leaderLockKey
        + ", standby_retry_ms="
        + standbyRetryMs
        + ", max_batch_entries="
        + maxBatchEntries
        + ", entity_refresh_interval_ms="
        + entityRefreshIntervalMs
        + ", reconnect_backoff_ms="
        + reconnectInitialBackoffMs
        + ".."
        + reconnectMaxBackoffMs
        + ", read_max_rows="
        + readMaxRows
        + ", write_timeout_ms="
        + writeTimeoutMs
        + ", max_queued_writes="
        + maxQueuedWrites
        + ", chunk_rows="
        + chunkRows
        + ", retain_history_ms="
        + retainHistoryMs
        + ", replica_expiry_ms="
        + replicaExpiryMs
        + ", compaction_interval_ms="
        + compactionIntervalMs
        + ", lease="
        + lease.toJson().encode()
        + ", circuit="
        + circuit.toJson().encode()
        + "]";
  }

  private record ParsedUrl(
      String host, int port, String user, String password, String database, String sslMode) {}

  static ParsedUrl parseUrl(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "postgres.url is not a valid URL ("
              + e.getMessage()
              + "); expected postgresql://user:pass@host:port/db");
    }
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("postgresql") || scheme.equalsIgnoreCase("postgres"))) {
      throw new IllegalArgumentException(
          "postgres.url must start with postgresql:// (form postgresql://user:pass@host:port/db), got scheme "
              + scheme);
    }
    if (uri.getRawAuthority() == null) {
      throw new IllegalArgumentException(
          "postgres.url has no host; expected postgresql://user:pass@host:port/db");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          "postgres.url has no valid host (authority '"
              + uri.getRawAuthority()
              + "'); expected postgresql://user:pass@host:port/db");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("postgres.url port must be 1..65535, got " + port);
    }
    String user = DEFAULT_USER;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      String rawUser = colon < 0 ? userInfo : userInfo.substring(0, colon);
      if (rawUser.isEmpty()) {
        throw new IllegalArgumentException("postgres.url has an empty user name before '@'");
      }
      user = decode(rawUser);
      if (colon >= 0) {
        password = decode(userInfo.substring(colon + 1));
      }
    }
    String path = uri.getRawPath();
    String database = user;
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      String db = decode(path.substring(1));
      if (db.contains("/")) {
        throw new IllegalArgumentException(
            "postgres.url path must be a single database name, got " + path);
      }
      database = db;
    }
    String sslMode = null;
    String query = uri.getRawQuery();
    if (query != null && !query.isEmpty()) {
      for (String param : query.split("&")) {
        int eq = param.indexOf('=');
        String key = decode(eq < 0 ? param : param.substring(0, eq));
        String value = eq < 0 ? "" : decode(param.substring(eq + 1));
        if (!key.equals("sslmode")) {
          throw new IllegalArgumentException(
              "postgres.url has unsupported query parameter '" + key + "' (supported: sslmode)");
        }
        try {
          SslMode.of(value);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(
              "postgres.url sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, got '"
                  + value
                  + "'");
        }
        sslMode = value.toLowerCase(Locale.ROOT);
      }
    }
    if (uri.getRawFragment() != null) {
      throw new IllegalArgumentException("postgres.url must not have a #fragment");
    }
    return new ParsedUrl(host, port, user, password, database, sslMode);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("postgres.url has a malformed %-escape in '" + s + "'");
    }
  }
}
