package io.emcachers.verify;

import static io.emcachers.core.config.ConfigValues.bool;
import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.nonBlankString;
import static io.emcachers.core.config.ConfigValues.require;
import static io.emcachers.core.config.ConfigValues.section;

import com.mongodb.ConnectionString;
import io.emcachers.core.circuit.BreakerConfig;
import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * Configuration of the verifier: the {@code verify} section of the root config plus the shared keys
 * {@code data_dir} (progress files in {@code {data_dir}/verify/}), {@code node_id}, {@code
 * mongo.url} (its path names the database) and the {@code circuit} section (the {@code mongodb}
 * breaker of its source).
 *
 * @param pageDocs source documents per page (one compare request each), 1..5000
 * @param maxDocsPerSecond cap of source documents read per second; 0 = unlimited
 * @param buckets hash buckets of the extras digest, 1..65536
 * @param maxCandidates differences a run may hold; more stops the run (rebuild instead)
 * @param recheckTimeoutMs how long the re-check waits for the cache to catch up
 * @param settleMs how long the re-check waits after its source read before it compares (a change
 *     written just before the read reaches the oplog and the cache meanwhile); 0 = no wait
 * @param progressIntervalMs least time between two progress saves of the source pass (written
 *     behind the pass, one write at a time; a stop saves at once); a SIGKILL redoes at most the
 *     pages of this window plus one write; 0 = after every page the previous write allows
 * @param intervalMs period of the scheduled runs of every cached entity; 0 = off
 * @param scheduledRepair whether scheduled runs repair
 */
public record VerifyConfig(
    Path dataDir,
    String nodeId,
    String mongoUrl,
    String database,
    BreakerConfig circuit,
    int pageDocs,
    long maxDocsPerSecond,
    int buckets,
    int maxCandidates,
    long recheckTimeoutMs,
    long settleMs,
    long progressIntervalMs,
    long intervalMs,
    boolean scheduledRepair) {

  public static final String SECTION = "verify";
  public static final String DEFAULT_DATA_DIR = "./data";
  public static final String DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017/app";
  public static final int DEFAULT_PAGE_DOCS = 1000;
  public static final int MAX_PAGE_DOCS = 5000;
  public static final long DEFAULT_MAX_DOCS_PER_SECOND = 5000;
  public static final int DEFAULT_BUCKETS = 4096;
  public static final int MAX_BUCKETS = 65536;
  public static final int DEFAULT_MAX_CANDIDATES = 10_000;
  public static final int MAX_MAX_CANDIDATES = 1_000_000;
  public static final long DEFAULT_RECHECK_TIMEOUT_MS = 60_000;
  public static final long DEFAULT_SETTLE_MS = 1000;
  public static final long DEFAULT_PROGRESS_INTERVAL_MS = 250;
  public static final long MAX_PROGRESS_INTERVAL_MS = 60_000;
  public static final long DEFAULT_INTERVAL_MS = 0;
  public static final boolean DEFAULT_SCHEDULED_REPAIR = false;

  public VerifyConfig {
    require(dataDir != null, "data_dir is required");
    require(nodeId != null && !nodeId.isBlank(), "node_id must be a non-empty string");
    require(
        database != null && !database.isEmpty(),
        "mongo.url must name the database in its path (mongodb://host:port/database), got "
            + mongoUrl);
    require(
        pageDocs >= 1 && pageDocs <= MAX_PAGE_DOCS,
        "verify.page_docs must be 1.." + MAX_PAGE_DOCS + ", got " + pageDocs);
    require(
        maxDocsPerSecond >= 0,
        "verify.max_docs_per_second must be >= 0 (0 = unlimited), got " + maxDocsPerSecond);
    require(
        buckets >= 1 && buckets <= MAX_BUCKETS,
        "verify.buckets must be 1.." + MAX_BUCKETS + ", got " + buckets);
    require(
        maxCandidates >= 1 && maxCandidates <= MAX_MAX_CANDIDATES,
        "verify.max_candidates must be 1.." + MAX_MAX_CANDIDATES + ", got " + maxCandidates);
    require(
        recheckTimeoutMs >= 1, "verify.recheck_timeout_ms must be >= 1, got " + recheckTimeoutMs);
    require(settleMs >= 0, "verify.settle_ms must be >= 0, got " + settleMs);
    require(
        progressIntervalMs >= 0 && progressIntervalMs <= MAX_PROGRESS_INTERVAL_MS,
        "verify.progress_interval_ms must be 0.."
            + MAX_PROGRESS_INTERVAL_MS
            + ", got "
            + progressIntervalMs);
    require(intervalMs >= 0, "verify.interval_ms must be >= 0 (0 = off), got " + intervalMs);
  }

  /** Where the progress files live: {@code {data_dir}/verify}. */
  public Path progressDir() {
    return dataDir.resolve("verify");
  }

  /** Reads the {@code verify} section and the shared keys; throws on bad values. */
  public static VerifyConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject v = section(r, SECTION);
    String url = nonBlankString(section(r, "mongo"), "mongo.url", "url", DEFAULT_MONGO_URL);
    String database;
    try {
      database = new ConnectionString(url).getDatabase();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "mongo.url is not a MongoDB connection string (" + e.getMessage() + "): " + url, e);
    }
    return new VerifyConfig(
        Path.of(nonBlankString(r, "data_dir", "data_dir", DEFAULT_DATA_DIR)),
        ConfigValues.nodeId(r),
        url,
        database,
        BreakerConfig.fromJson(r),
        (int) integer(v, "verify.page_docs", "page_docs", DEFAULT_PAGE_DOCS, 1, MAX_PAGE_DOCS),
        integer(
            v,
            "verify.max_docs_per_second",
            "max_docs_per_second",
            DEFAULT_MAX_DOCS_PER_SECOND,
            0,
            Long.MAX_VALUE),
        (int) integer(v, "verify.buckets", "buckets", DEFAULT_BUCKETS, 1, MAX_BUCKETS),
        (int)
            integer(
                v,
                "verify.max_candidates",
                "max_candidates",
                DEFAULT_MAX_CANDIDATES,
                1,
                MAX_MAX_CANDIDATES),
        integer(
            v,
            "verify.recheck_timeout_ms",
            "recheck_timeout_ms",
            DEFAULT_RECHECK_TIMEOUT_MS,
            1,
            Long.MAX_VALUE),
        integer(v, "verify.settle_ms", "settle_ms", DEFAULT_SETTLE_MS, 0, Long.MAX_VALUE),
        integer(
            v,
            "verify.progress_interval_ms",
            "progress_interval_ms",
            DEFAULT_PROGRESS_INTERVAL_MS,
            0,
            MAX_PROGRESS_INTERVAL_MS),
        integer(v, "verify.interval_ms", "interval_ms", DEFAULT_INTERVAL_MS, 0, Long.MAX_VALUE),
        bool(v, "verify.scheduled_repair", "scheduled_repair", DEFAULT_SCHEDULED_REPAIR));
  }
}
