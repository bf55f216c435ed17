package io.emcachers.verify;

import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 4: the re-check. A difference may be lag: wait until the cache holds the entity's rows up to
 * the head seen after the candidates, then per chunk note the head ({@code head_before}), re-read
 * the source by {@code _id}, settle, let the cache catch up again and compare once more. Documents
 * that still differ, with no oplog row after {@code head_before}, are confirmed.
 */
final class Recheck extends RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(Recheck.class);

  /**
   * Chunks re-checked at once, in as many lanes: bounds the source documents held to this many
   * times {@link #LOOKUP_CHUNK} (10,000, the default {@code verify.max_candidates}, so a run at
   * that bound re-checks in one round of settle waits).
   */
  static final int PARALLEL_CHUNKS = 20;

  Recheck(RunContext c) {
    super(c);
  }

  @Override
  Future<Void> run() {
    step(4, "re-check of " + p.candidates.size() + " candidate(s)");
    // steps 4 and 5 start over on a resumed run: their counts too
    p.missing = p.extra = p.different = 0;
    p.repairedOplog = p.repairedLocal = p.superseded = p.repairFailed = 0;
    p.samples.clear();
    c.confirmed.clear();
    if (p.candidates.isEmpty()) {
      return Future.succeededFuture();
    }
    long deadline = System.currentTimeMillis() + with.config().recheckTimeoutMs();
    List<Map.Entry<String, String>> all = new ArrayList<>(p.candidates.entrySet());
    return head()
        .compose(h -> awaitCache(h, deadline))
        .compose(v -> recheckGroups(all, deadline))
        .compose(
            v -> {
              for (Confirmed x : c.confirmed) {
                switch (x.kind()) {
                  case VerifyProgress.MISSING -> p.missing++;
                  case VerifyProgress.EXTRA -> p.extra++;
                  default -> p.different++;
                }
                p.sample(x.docId());
              }
              with.metrics().differences(p.entity, VerifyProgress.MISSING, p.missing);
              with.metrics().differences(p.entity, VerifyProgress.EXTRA, p.extra);
              with.metrics().differences(p.entity, VerifyProgress.DIFFERENT, p.different);
              LOG.info(
                  "verify {} step 4/5: {} of {} candidate(s) confirmed: {} missing, {} extra, {}"
                      + " different",
                  p.entity,
                  c.confirmed.size(),
                  all.size(),
                  p.missing,
                  p.extra,
                  p.different);
              c.onProgress.accept(p);
              return save();
            });
  }

  /**
   * Re-checks the chunks in {@link #PARALLEL_CHUNKS} lanes (their settle waits overlap; each chunk
   * keeps its own {@code head_before}; a lane starts its next chunk when its last one is done);
   * confirmed in candidate order.
   */
  Future<Void> recheckGroups(List<Map.Entry<String, String>> all, long deadline) {
    int chunks = (all.size() + LOOKUP_CHUNK - 1) / LOOKUP_CHUNK;
    List<List<Confirmed>> results = new ArrayList<>(Collections.nCopies(chunks, null));
    List<Supplier<Future<Void>>> tasks = new ArrayList<>();
    for (int k = 0; k < chunks; k++) {
      int chunk = k;
      tasks.add(() -> recheckChunkInto(all, chunk, deadline, results));
    }
    return inParallel(tasks, PARALLEL_CHUNKS)
        .map(
            v -> {
              results.forEach(c.confirmed::addAll);
              return null;
            });
  }

  private Future<Void> recheckChunkInto(
      List<Map.Entry<String, String>> all, int chunk, long deadline, List<List<Confirmed>> into) {
    if (c.stopping) {
      return Future.failedFuture(stopped());
    }
    return recheckChunk(all, chunk * LOOKUP_CHUNK, deadline)
        .map(
            found -> {
              into.set(chunk, found);
              return null;
            });
  }

  /** Re-checks the chunk of candidates starting at {@code from}; its confirmed differences. */
  Future<List<Confirmed>> recheckChunk(
      List<Map.Entry<String, String>> all, int from, long deadline) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i < Math.min(all.size(), from + LOOKUP_CHUNK); i++) {
      ids.add(all.get(i).getKey());
    }
    long[] headBefore = new long[1];
    return head()
        .compose(
            h -> {
              headBefore[0] = h;
              return sourceDocs(ids);
            })
        .compose(
            found -> settle().compose(v -> head()).compose(h -> awaitCache(h, deadline)).map(found))
        .compose(
            found -> {
              List<SourceRow> present = new ArrayList<>();
              List<String> absent = new ArrayList<>();
              Map<String, JsonObject> data = new HashMap<>();
              for (String id : ids) {
                BsonDocument doc = found.get(id);
                if (doc == null || !projection.matches(doc)) { // outside the filter: absent
                  absent.add(id);
                } else {
                  JsonObject d = projection.project(doc).data();
                  data.put(id, d);
                  present.add(new SourceRow(id, d));
                }
              }
              List<Confirmed> found2 = new ArrayList<>();
              return compare(present)
                  .compose(
                      reply -> {
                        long hb = headBefore[0];
                        reply
                            .missing()
                            .forEach(
                                id ->
                                    found2.add(
                                        new Confirmed(
                                            id, VerifyProgress.MISSING, data.get(id), hb)));
                        reply
                            .different()
                            .forEach(
                                id ->
                                    found2.add(
                                        new Confirmed(
                                            id, VerifyProgress.DIFFERENT, data.get(id), hb)));
                        return cachedIds(absent);
                      })
                  .compose(
                      cached -> {
                        cached.forEach(
                            id ->
                                found2.add(
                                    new Confirmed(id, VerifyProgress.EXTRA, null, headBefore[0])));
                        return dropChanged(found2, headBefore[0]);
                      });
            });
  }

  /**
   * Leaves out the documents with an oplog row newer than {@code headBefore}: they changed after
   * the re-check's read began (so the read and the cache saw different moments), and the normal
   * replication brings the change. Counted {@code superseded}.
   */
  Future<List<Confirmed>> dropChanged(List<Confirmed> found, long headBefore) {
    if (found.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return with.oplog()
        .latest(p.entity, found.stream().map(Confirmed::docId).toList())
        .map(
            latest -> {
              Set<String> newer = new HashSet<>();
              latest.rows().stream()
                  .filter(r -> r.id() > headBefore)
                  .forEach(r -> newer.add(r.docId()));
              p.superseded += newer.size();
              return found.stream().filter(c -> !newer.contains(c.docId())).toList();
            });
  }
}
