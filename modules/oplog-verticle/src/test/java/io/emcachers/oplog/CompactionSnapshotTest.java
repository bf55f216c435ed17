package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.oplog.compaction.CompactionStore;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The snapshot of compaction's candidate read ({@link CompactionStore#doomed}): a run whose doomed
 * ids fit its buffer releases the snapshot before the first chunk is handed on, so the rows that
 * stream appends update meanwhile (the resume token in {@code metadata}) can be pruned; above the
 * buffer the rest is read on in the same snapshot. Both deliver the same ids in the same order,
 * superseded rows first, then the tombstones.
 */
@Timeout(120)
class CompactionSnapshotTest extends PostgresTestBase {

  static final int DOCS = 300;
  static final int UPDATES = 5;

  static Vertx vertx;
  static Pool pool;

  @BeforeAll
  static void load() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    JsonObject root = OplogTestSupport.rootConfig(pg);
    root.getJsonObject("oplog").put("retain_history_ms", 0).put("compaction_interval_ms", 0);
    OplogTestSupport.deploy(vertx, root);
    createLiveEntity(vertx, "users");
    for (int u = 0; u < UPDATES; u++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < DOCS; d++) {
        batch.add(upsert("users", "d" + d, new JsonObject().put("v", u)));
      }
      append(vertx, AppendBatch.stream("users", null, batch));
    }
    // a delete of its own document: the tombstone of d-gone, after its upsert
    append(
        vertx,
        AppendBatch.stream(
            "users",
            null,
            List.of(
                upsert("users", "d-gone", new JsonObject().put("v", 0)),
                OplogTestSupport.delete("users", "d-gone"))));
    pool = PgBuilder.pool().connectingTo(OplogConfig.fromJson(root).connectOptions()).build();
  }

  @AfterAll
  static void close() {
    await(pool.close());
    await(vertx.close());
  }

  /** Sessions of this database inside a transaction that holds a snapshot, other than the asker. */
  private static Future<Long> openSnapshots() {
    return pool.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL"
                + " AND state LIKE 'idle in transaction%'")
        .execute()
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  /** Runs the candidate read; returns the ids as delivered and, per chunk, the open snapshots. */
  private static List<List<Long>> read(int bufferedIds, List<Long> snapshots) {
    List<Long> superseded = new ArrayList<>();
    List<Long> tombstones = new ArrayList<>();
    long head = (Long) query(pg, "SELECT max(id) AS m FROM oplog").get(0).get("m");
    CompactionStore store = new CompactionStore(pool);
    await(
        store.doomed(
            head + 1,
            head + 1,
            200,
            bufferedIds,
            64,
            chunk -> {
              for (long id : chunk.superseded()) {
                superseded.add(id);
              }
              for (long id : chunk.tombstones()) {
                tombstones.add(id);
              }
              return openSnapshots().onSuccess(snapshots::add).mapEmpty();
            }),
        Duration.ofSeconds(60));
    return List.of(superseded, tombstones);
  }

  @Test
  void aRunThatFitsItsBufferReleasesTheSnapshotBeforeTheFirstChunk() {
    List<Long> held = new ArrayList<>();
    List<List<Long>> ids = read(CompactionStore.DEFAULT_BUFFERED_IDS, held);

    assertEquals(DOCS * (UPDATES - 1) + 1, ids.get(0).size(), "superseded rows");
    assertEquals(1, ids.get(1).size(), "the tombstone of d-gone");
    assertTrue(held.size() > 1, "several chunks: " + held.size());
    assertTrue(
        held.stream().allMatch(n -> n == 0),
        "no session holds a snapshot while the chunks are handed on: " + held);
    List<Long> sorted = new ArrayList<>(ids.get(0));
    sorted.sort(null);
    assertEquals(sorted, ids.get(0), "superseded rows in id order");
  }

  @Test
  void aRunAboveItsBufferReadsOnInTheSameSnapshotAndDeliversTheSameIds() {
    List<Long> heldSmall = new ArrayList<>();
    List<List<Long>> small = read(500, heldSmall);
    List<List<Long>> full = read(CompactionStore.DEFAULT_BUFFERED_IDS, new ArrayList<>());

    assertEquals(full, small, "the same ids in the same order");
    assertTrue(
        heldSmall.stream().anyMatch(n -> n == 1),
        "above the buffer the chunks are handed on while the candidate snapshot is open: "
            + heldSmall);
  }
}
