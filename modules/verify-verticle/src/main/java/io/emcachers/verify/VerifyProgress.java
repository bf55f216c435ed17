package io.emcachers.verify;

import io.emcachers.core.messages.VerifyJob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one run, as stored during the source pass (every {@code
 * verify.progress_interval_ms}) and after each step in {@code {data_dir}/verify/{entity}.json}: run
 * id, repair flag, phase, the last source {@code _id} read (wrapped extended JSON, {@code
 * BsonJson.wrap}), the counts, the source-side bucket sums and the candidates found so far. Its
 * size is bounded by the buckets and {@code verify.max_candidates}, never by the collection.
 * Mutated only on the verifier's event loop.
 */
final class VerifyProgress {

  static final String PHASE_SOURCE = "source";
  static final String PHASE_EXTRAS = "extras";
  static final String PHASE_RECHECK = "recheck";
  static final String PHASE_DONE = "done";

  static final String MISSING = "missing";
  static final String EXTRA = "extra";
  static final String DIFFERENT = "different";

  final String id;
  final String entity;
  final String node;
  final boolean repair;
  final Instant startedAt;
  long epoch;
  String state = VerifyJob.RUNNING;
  String phase = PHASE_SOURCE;
  String step = "starting";
  JsonObject lastId;
  long resumes;
  Instant finishedAt;
  String error;
  BucketSums sums;

  /** doc id → kind found in the pass or the extras step (not yet re-checked), insertion order. */
  final Map<String, String> candidates = new LinkedHashMap<>();

  final List<String> samples = new ArrayList<>();

  long docsChecked;
  long matched;
  long missing;
  long extra;
  long different;
  long repairedOplog;
  long repairedLocal;
  long superseded;
  long repairFailed;

  VerifyProgress(
      String id, String entity, String node, boolean repair, Instant startedAt, int buckets) {
    this.id = id;
    this.entity = entity;
    this.node = node;
    this.repair = repair;
    this.startedAt = startedAt;
    this.sums = new BucketSums(buckets);
  }

  boolean resumable() {
    return VerifyJob.RUNNING.equals(state) || VerifyJob.STOPPED.equals(state);
  }

  void sample(String docId) {
    if (samples.size() < VerifyJob.MAX_SAMPLES && !samples.contains(docId)) {
      samples.add(docId);
    }
  }

  /** Starts the pass over (an epoch change: the stored progress belongs to another scan). */
  void reset(int buckets) {
    phase = PHASE_SOURCE;
    lastId = null;
    candidates.clear();
    samples.clear();
    sums = new BucketSums(buckets);
    docsChecked = matched = missing = extra = different = 0;
    repairedOplog = repairedLocal = superseded = repairFailed = 0;
  }

  VerifyJob.Counts counts() {
    return new VerifyJob.Counts(
        docsChecked,
        matched,
        missing,
        extra,
        different,
        repairedOplog,
        repairedLocal,
        superseded,
        repairFailed);
  }

  VerifyJob toJob(Instant now) {
    Instant end = finishedAt == null ? now : finishedAt;
    return new VerifyJob(
        id,
        entity,
        node,
        repair,
        state,
        step,
        startedAt,
        finishedAt,
        startedAt == null ? 0 : Math.max(0, end.toEpochMilli() - startedAt.toEpochMilli()),
        counts(),
        samples,
        error);
  }

  JsonObject toJson() {
    JsonArray cands = new JsonArray();
    candidates.forEach((docId, kind) -> cands.add(new JsonArray().add(docId).add(kind)));
    return new JsonObject()
        .put("id", id)
        .put("entity", entity)
        .put("node", node)
        .put("repair", repair)
        .put("started_at", startedAt.toString())
        .put("finished_at", finishedAt == null ? null : finishedAt.toString())
        .put("epoch", epoch)
        .put("state", state)
        .put("phase", phase)
        .put("step", step)
        .put("last_id", lastId)
        .put("resumes", resumes)
        .put("error", error)
        .put("counts", counts().toJson())
        .put("sample_ids", new JsonArray(new ArrayList<>(samples)))
        .put("candidates", cands)
        .put("bucket_sums", sums.toJson());
  }

  static VerifyProgress fromJson(JsonObject json, int buckets) {
    String finished = json.getString("finished_at");
    VerifyProgress p =
        new VerifyProgress(
            json.getString("id"),
            json.getString("entity"),
            json.getString("node"),
            json.getBoolean("repair", false),
            Instant.parse(json.getString("started_at")),
            buckets);
    p.finishedAt = finished == null ? null : Instant.parse(finished);
    p.epoch = json.getLong("epoch", 0L);
    p.state = json.getString("state", VerifyJob.RUNNING);
    p.phase = json.getString("phase", PHASE_SOURCE);
    p.step = json.getString("step", "");
    p.lastId = json.getJsonObject("last_id");
    p.resumes = json.getLong("resumes", 0L);
    p.error = json.getString("error");
    VerifyJob.Counts c = VerifyJob.Counts.fromJson(json.getJsonObject("counts"));
    p.docsChecked = c.docsChecked();
    p.matched = c.matched();
    p.missing = c.missing();
    p.extra = c.extra();
    p.different = c.different();
    p.repairedOplog = c.repairedOplog();
    p.repairedLocal = c.repairedLocal();
    p.superseded = c.superseded();
    p.repairFailed = c.repairFailed();
    json.getJsonArray("sample_ids", new JsonArray()).forEach(o -> p.samples.add((String) o));
    for (Object o : json.getJsonArray("candidates", new JsonArray())) {
      JsonArray pair = (JsonArray) o;
      p.candidates.put(pair.getString(0), pair.getString(1));
    }
    if (p.resumable()) {
      p.sums = BucketSums.fromJson(json.getJsonObject("bucket_sums"), buckets);
    }
    return p;
  }
}
