package io.emcachers.cache;

import static io.emcachers.cache.CacheFixtures.allTypes;
import static io.emcachers.cache.CacheFixtures.create;
import static io.emcachers.cache.CacheFixtures.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verification compares read on whichever read connection is free: with the reader held (a long API
 * read), a compare runs on the spare reader instead of waiting, and gets the same answer; a drop
 * takes the spare reader's lock too and closes it with the others.
 */
@Timeout(60)
class CacheSpareReaderTest {

  @TempDir Path dataDir;
  final Entity items = allTypes("items");

  static JsonObject data(int i) {
    return new JsonObject().put("t", "t" + i).put("i", i).put("n", i + 0.5).put("b", i % 2 == 0);
  }

  @Test
  void aCompareWhileTheReaderIsHeldRunsOnTheSpareReader() throws Exception {
    CacheRegistry registry = new CacheRegistry(dataDir);
    registry.scan();
    create(registry, items);
    List<Oplog> seed = new ArrayList<>();
    List<SourceRow> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      seed.add(upsert(i + 1, "items", "doc-" + i, data(i)));
      rows.add(new SourceRow("doc-" + i, i == 7 ? data(i).put("t", "changed") : data(i)));
    }
    rows.add(new SourceRow("absent", data(1)));
    registry.apply(items, seed);
    CacheCompare compare = new CacheCompare(registry);
    CacheCompareReply alone = compare.compare("items", rows);

    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Integer> connectionsWhileHeld = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                registry.with(
                    "items",
                    false,
                    true,
                    db -> {
                      db.reader();
                      held.countDown();
                      try {
                        release.await(30, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      connectionsWhileHeld.complete(db.openConnections());
                      return null;
                    });
              } catch (Exception e) {
                connectionsWhileHeld.completeExceptionally(e);
              }
            });
    reader.start();
    assertTrue(held.await(10, TimeUnit.SECONDS));
    // the reader is held: this compare must not wait for it
    CacheCompareReply spare =
        CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return compare.compare("items", rows);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                })
            .get(10, TimeUnit.SECONDS);
    release.countDown();
    reader.join(10_000);

    assertEquals(alone, spare);
    assertEquals(199, spare.matched());
    assertEquals(List.of("absent"), spare.missing());
    assertEquals(List.of("doc-7"), spare.different());
    assertEquals(3, connectionsWhileHeld.get(10, TimeUnit.SECONDS)); // writer, reader, spare

    assertTrue(registry.drop("items"));
    assertFalse(Files.exists(dataDir.resolve("items")));
    registry.closeAll();
  }
}
