package io.emcachers.verify;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.messages.CacheLocalRepairReply;
import io.emcachers.core.messages.CacheLocalRepairRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.RepairReply;
import io.emcachers.core.messages.RepairRequest;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 5: repair (only with {@code repair: true}). Per group of one {@code head_before}: documents
 * with a newer oplog row are superseded; the latest oplog rows are restored in this node's file;
 * what then equals the source was node-local damage, what still differs gets a synthetic oplog row
 * (compare-and-set against {@code head_before}).
 */
final class Repair extends RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(Repair.class);

  Repair(RunContext c) {
    super(c);
  }

  @Override
  Future<Void> run() {
    if (!p.repair) {
      step(5, "no repair (repair: false)");
      return Future.succeededFuture();
    }
    step(5, "repair of " + c.confirmed.size() + " difference(s)");
    if (c.confirmed.isEmpty()) {
      return Future.succeededFuture();
    }
    Map<Long, List<Confirmed>> byHead = new LinkedHashMap<>();
    c.confirmed.forEach(x -> byHead.computeIfAbsent(x.headBefore(), k -> new ArrayList<>()).add(x));
    List<Supplier<Future<Void>>> chunks = new ArrayList<>();
    for (Map.Entry<Long, List<Confirmed>> e : byHead.entrySet()) {
      List<Confirmed> group = e.getValue();
      // emc.oplog.latest takes at most 1000 ids and a repair request at most max_batch_entries
      for (int from = 0; from < group.size(); from += REPAIR_CHUNK) {
        List<Confirmed> chunk = group.subList(from, Math.min(group.size(), from + REPAIR_CHUNK));
        chunks.add(() -> repairGroup(e.getKey(), chunk));
      }
    }
    return inParallel(chunks, PARALLEL_CHUNKS)
        .compose(
            v -> {
              with.metrics().repaired(p.entity, "oplog", p.repairedOplog);
              with.metrics().repaired(p.entity, "local", p.repairedLocal);
              LOG.info(
                  "verify {} step 5/5: {} repaired through the oplog, {} on this node, {} superseded,"
                      + " {} failed",
                  p.entity,
                  p.repairedOplog,
                  p.repairedLocal,
                  p.superseded,
                  p.repairFailed);
              c.onProgress.accept(p);
              return Future.succeededFuture();
            });
  }

  /**
   * Node-local damage first: the latest oplog rows of the documents are restored in the file (never
   * above its last_oplog_id); whatever still differs from the source afterwards is the oplog's own
   * difference and gets a synthetic row, compare-and-set against {@code headBefore}.
   */
  /** Confirmed differences repaired per request round (latest rows, local repair, oplog repair). */
  static final int REPAIR_CHUNK = 500;

  /**
   * Chunks repaired at once. Chunks hold disjoint documents and each one's steps stay in order, so
   * running a few together changes no outcome; it overlaps their waits on PostgreSQL and SQLite
   * commits (a chunk is mostly fsyncs).
   */
  static final int PARALLEL_CHUNKS = 4;

  Future<Void> repairGroup(long headBefore, List<Confirmed> all) {
    List<String> ids = all.stream().map(Confirmed::docId).toList();
    List<Confirmed> group = new ArrayList<>();
    return with.oplog()
        .latest(p.entity, ids)
        .compose(
            latest -> {
              // a row newer than the re-check's read: the document changed since, the normal
              // replication brings it (and a repair could overwrite it): superseded
              Set<String> newer = new HashSet<>();
              List<Oplog> rows = new ArrayList<>();
              for (Oplog row : latest.rows()) {
                if (row.id() > headBefore) {
                  newer.add(row.docId());
                } else {
                  rows.add(row);
                }
              }
              for (Confirmed x : all) {
                if (newer.contains(x.docId())) {
                  p.superseded++;
                } else {
                  group.add(x);
                }
              }
              Future<?> local =
                  rows.isEmpty()
                      ? Future.succeededFuture()
                      : with.cache()
                          .request(
                              Addresses.CACHE_VERIFY_REPAIR_LOCAL,
                              new CacheLocalRepairRequest(p.entity, rows),
                              CacheLocalRepairReply.class,
                              local(60_000));
              return local.compose(v -> stillDiffering(group));
            })
        .compose(
            remaining -> {
              p.repairedLocal += group.size() - remaining.size();
              if (remaining.isEmpty()) {
                return Future.succeededFuture();
              }
              List<OplogEntry> entries = new ArrayList<>(remaining.size());
              for (Confirmed x : remaining) {
                entries.add(
                    VerifyProgress.EXTRA.equals(x.kind())
                        ? new OplogEntry(Operation.Delete, p.entity, x.docId(), null, p.epoch)
                        : new OplogEntry(Operation.Upsert, p.entity, x.docId(), x.data(), p.epoch));
              }
              return with.oplog()
                  .repair(
                      new RepairRequest(
                          p.entity,
                          headBefore,
                          p.epoch,
                          entries,
                          "verification " + p.id + " on " + p.node),
                      60_000)
                  .map(
                      reply -> {
                        count(reply);
                        return null;
                      });
            });
  }

  void count(RepairReply reply) {
    p.repairedOplog += reply.applied().size();
    p.superseded += reply.skipped().size();
    p.repairFailed += reply.rejected().size();
    for (Object o : reply.rejected()) {
      JsonObject r = o instanceof JsonObject j ? j : new JsonObject();
      LOG.warn(
          "verify {}: repair of _id {} rejected by the oplog: {}",
          p.entity,
          r.getString("doc_id"),
          r.getString("reason"));
    }
  }

  /** The confirmed differences the cache still has (compared with the source read again). */
  Future<List<Confirmed>> stillDiffering(List<Confirmed> group) {
    List<SourceRow> present = new ArrayList<>();
    List<String> extras = new ArrayList<>();
    for (Confirmed x : group) {
      if (VerifyProgress.EXTRA.equals(x.kind())) {
        extras.add(x.docId());
      } else {
        present.add(new SourceRow(x.docId(), x.data()));
      }
    }
    return compare(present)
        .compose(
            reply -> {
              Set<String> differ = new HashSet<>(reply.missing());
              differ.addAll(reply.different());
              return cachedIds(extras)
                  .map(
                      cached -> {
                        differ.addAll(cached);
                        return group.stream().filter(x -> differ.contains(x.docId())).toList();
                      });
            });
  }
}
