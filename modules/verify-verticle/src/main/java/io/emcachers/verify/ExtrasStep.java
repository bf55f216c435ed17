package io.emcachers.verify;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.CacheDigestReply;
import io.emcachers.core.messages.CacheDigestRequest;
import io.emcachers.core.messages.CacheIdsReply;
import io.emcachers.core.messages.CacheIdsRequest;
import io.vertx.core.Future;
import java.util.List;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 3: rows the source does not have. The cache's bucket digests are compared with the source
 * pass's sums; only the cache's ids of differing buckets are listed and looked up in MongoDB, and
 * ids not found there, or found outside the entity's filter, become extra candidates.
 */
final class ExtrasStep extends RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(ExtrasStep.class);

  ExtrasStep(RunContext c) {
    super(c);
  }

  @Override
  Future<Void> run() {
    step(3, "extras: bucket digests of the cache");
    int buckets = with.config().buckets();
    return with.cache()
        .request(
            Addresses.CACHE_VERIFY_DIGEST,
            new CacheDigestRequest(p.entity, buckets),
            CacheDigestReply.class,
            local(120_000))
        .compose(
            digest -> {
              List<Integer> differing = p.sums.differing(digest.counts(), digest.digests());
              LOG.info(
                  "verify {} step 3/5: {} of {} bucket(s) differ",
                  p.entity,
                  differing.size(),
                  buckets);
              if (differing.isEmpty()) {
                return Future.succeededFuture();
              }
              return extrasPage(differing, null);
            })
        .compose(
            v -> {
              p.phase = VerifyProgress.PHASE_RECHECK;
              return save();
            });
  }

  Future<Void> extrasPage(List<Integer> buckets, String after) {
    if (c.stopping) {
      return Future.failedFuture(stopped());
    }
    return with.cache()
        .request(
            Addresses.CACHE_VERIFY_IDS,
            new CacheIdsRequest(p.entity, with.config().buckets(), buckets, after, IDS_PAGE),
            CacheIdsReply.class,
            local(120_000))
        .compose(
            page ->
                lookupExtras(page.docIds(), 0)
                    .compose(
                        v ->
                            page.nextAfter() == null
                                ? Future.succeededFuture()
                                : extrasPage(buckets, page.nextAfter())));
  }

  Future<Void> lookupExtras(List<String> ids, int from) {
    if (from >= ids.size()) {
      return Future.succeededFuture();
    }
    List<String> chunk = ids.subList(from, Math.min(ids.size(), from + LOOKUP_CHUNK));
    return sourceDocs(chunk)
        .compose(
            found -> {
              for (String id : chunk) {
                BsonDocument doc = found.get(id);
                if (doc == null || !projection.matches(doc)) { // gone, or outside the filter
                  p.candidates.putIfAbsent(id, VerifyProgress.EXTRA);
                }
              }
              checkCandidates();
              return lookupExtras(ids, from + LOOKUP_CHUNK);
            });
  }
}
