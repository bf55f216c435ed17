package io.emcachers.listener.stream;

import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import java.util.List;
import org.bson.BsonDocument;

/**
 * Where a change stream's raw events come from. In production it is MongoDB ({@link #mongo}: an
 * {@code aggregate [$changeStream]} cursor driven by {@code getMore}, {@link ChangeStreamCursor});
 * the benchmark puts a synthetic source in its place to measure the listener's batching, the oplog
 * writer, the replicator and the cache without the MongoDB test server's cost. Events are raw
 * change-stream documents ({@link ChangeEvent#parse}); everything after the cursor — routing,
 * batching, acks, the resume position — is the same code for every source.
 */
public interface ChangeSource {

  /**
   * One batch of raw events and the cursor's post-batch resume token (null on servers without it).
   */
  record Batch(List<BsonDocument> events, BsonDocument postBatchResumeToken, boolean exhausted) {}

  /** An open stream: once open, the source holds its start position. */
  interface Cursor {
    /**
     * The next batch: at most {@code batchSize} events, waiting up to {@code awaitMs} for one on
     * sources that await data (a source that returns an empty batch at once is polled again later,
     * with a back-off, by the listener).
     */
    Future<Batch> next(int batchSize, long awaitMs);

    /** Ends the stream at the source (best effort). */
    Future<Void> close();
  }

  /** The opened cursor and its first batch. */
  record Opened(Cursor cursor, Batch firstBatch) {}

  /**
   * Opens a stream on {@code collection}, or on the whole database when {@code collection} is null
   * (only events of {@code dbCollections}). {@code resumeAfter} null starts at "now".
   */
  Future<Opened> open(
      String collection, List<String> dbCollections, BsonDocument resumeAfter, int batchSize);

  /** Builds a listener session's change source from the session's MongoDB source. */
  @FunctionalInterface
  interface Factory {
    ChangeSource create(MongoSource mongo);
  }

  /** MongoDB change streams through {@code source} (the production source). */
  static ChangeSource mongo(MongoSource source) {
    return (collection, dbCollections, resumeAfter, batchSize) ->
        source
            .session()
            .compose(
                session ->
                    ChangeStreamCursor.open(
                        source, session, collection, dbCollections, resumeAfter, batchSize));
  }
}
