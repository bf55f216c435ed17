package io.emcachers.listener.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Operation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchWindowTest {

  static AppendBatch batch(int entries) {
    List<OplogEntry> list = new ArrayList<>();
    for (int i = 0; i < entries; i++) {
      list.add(new OplogEntry(Operation.Delete, "e", "d" + i, null));
    }
    return AppendBatch.stream("s", null, list);
  }

  @Test
  void atMostKBatchesAreSentAndQueuedOnesFollowInOrder() {
    List<Promise<AppendResult>> sent = new ArrayList<>();
    List<AppendBatch> order = new ArrayList<>();
    BatchWindow w =
        new BatchWindow(
            2,
            b -> {
              Promise<AppendResult> p = Promise.promise();
              sent.add(p);
              order.add(b);
              return p.future();
            });
    AtomicInteger rooms = new AtomicInteger();
    w.onRoom(rooms::incrementAndGet);
    assertTrue(w.hasRoom());
    AppendBatch b1 = batch(3);
    AppendBatch b2 = batch(4);
    AppendBatch b3 = batch(5);
    Future<AppendResult> f1 = w.submit(b1);
    w.submit(b2);
    assertFalse(w.hasRoom());
    w.submit(b3);
    assertEquals(2, sent.size());
    assertEquals(1, w.queuedBatches());
    assertEquals(7, w.entriesInFlight());
    sent.get(0).complete(new AppendResult(1, 1, 3, 0, "s", null));
    assertTrue(f1.succeeded());
    assertEquals(3, sent.size(), "the queued batch goes out when a slot frees");
    assertEquals(List.of(b1, b2, b3), order);
    assertEquals(9, w.entriesInFlight());
    assertEquals(9, w.maxEntriesInFlight());
    sent.get(1).fail("boom");
    sent.get(2).complete(new AppendResult(2, 2, 5, 0, "s", null));
    assertEquals(0, w.entriesInFlight());
    assertEquals(1, w.failedBatches());
    assertEquals(2, w.ackedBatches());
    assertTrue(rooms.get() >= 2);
    w.close();
    assertTrue(w.submit(batch(1)).failed());
  }
}
