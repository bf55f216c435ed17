package io.emcachers.listener.stream;

import com.mongodb.reactivestreams.client.ClientSession;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonValue;

/**
 * A change stream driven as {@code aggregate [$changeStream]} + {@code getMore} commands. Opening
 * is explicit: once {@link #open} completes, the server holds the stream's start position, so a
 * scan started afterwards cannot miss a write. Each {@link #next} is one bounded batch: demand is
 * exactly one getMore at a time, which is how the listener pauses a stream (it simply does not
 * ask).
 */
final class ChangeStreamCursor implements ChangeSource.Cursor {

  private final MongoSource source;
  private final ClientSession session;
  private final String getMoreCollection;
  private final String defaultCollection;
  private long cursorId;

  private ChangeStreamCursor(
      MongoSource source,
      ClientSession session,
      String getMoreCollection,
      String defaultCollection,
      long cursorId) {
    this.source = source;
    this.session = session;
    this.getMoreCollection = getMoreCollection;
    this.defaultCollection = defaultCollection;
    this.cursorId = cursorId;
  }

  /**
   * Opens a stream on {@code collection}, or on the whole database when {@code collection} is null
   * (with a {@code $match} on {@code dbCollections}). {@code resumeAfter} null starts at "now".
   */
  static Future<ChangeSource.Opened> open(
      MongoSource source,
      ClientSession session,
      String collection,
      List<String> dbCollections,
      BsonDocument resumeAfter,
      int batchSize) {
    BsonDocument stage = new BsonDocument("fullDocument", new BsonString("updateLookup"));
    if (resumeAfter != null) {
      stage.append("resumeAfter", resumeAfter);
    }
    BsonArray pipeline = new BsonArray();
    pipeline.add(new BsonDocument("$changeStream", stage));
    if (collection == null) {
      BsonArray names = new BsonArray();
      dbCollections.forEach(c -> names.add(new BsonString(c)));
      pipeline.add(
          new BsonDocument("$match", new BsonDocument("ns.coll", new BsonDocument("$in", names))));
    }
    BsonDocument command =
        new BsonDocument(
                "aggregate", collection == null ? new BsonInt32(1) : new BsonString(collection))
            .append("pipeline", pipeline)
            .append("cursor", new BsonDocument("batchSize", new BsonInt32(batchSize)));
    return source
        .command(session, command)
        .map(
            reply -> {
              BsonDocument cursor = reply.getDocument("cursor");
              String ns =
                  cursor.isString("ns")
                      ? cursor.getString("ns").getValue()
                      : source.databaseName()
                          + "."
                          + (collection == null ? "$cmd.aggregate" : collection);
              String getMoreColl = ns.substring(ns.indexOf('.') + 1);
              ChangeStreamCursor c =
                  new ChangeStreamCursor(
                      source, session, getMoreColl, collection, cursorId(cursor));
              return new ChangeSource.Opened(c, c.batchOf(cursor, "firstBatch"));
            });
  }

  String defaultCollection() {
    return defaultCollection;
  }

  /**
   * The next batch: at most {@code batchSize} events, waiting up to {@code awaitMs} on servers that
   * await data.
   */
  @Override
  public Future<ChangeSource.Batch> next(int batchSize, long awaitMs) {
    if (cursorId == 0) {
      return Future.failedFuture(
          new IllegalStateException("change stream cursor is closed by the server"));
    }
    BsonDocument command =
        new BsonDocument("getMore", new BsonInt64(cursorId))
            .append("collection", new BsonString(getMoreCollection))
            .append("batchSize", new BsonInt32(batchSize))
            .append("maxTimeMS", new BsonInt64(awaitMs));
    return source
        .command(session, command)
        .map(reply -> batchOf(reply.getDocument("cursor"), "nextBatch"));
  }

  /** Kills the server cursor (best effort). */
  @Override
  public Future<Void> close() {
    long id = cursorId;
    cursorId = 0;
    if (id == 0) {
      return Future.succeededFuture();
    }
    BsonDocument command =
        new BsonDocument("killCursors", new BsonString(getMoreCollection))
            .append("cursors", new BsonArray(List.of(new BsonInt64(id))));
    return source.command(session, command).<Void>mapEmpty().otherwiseEmpty();
  }

  private ChangeSource.Batch batchOf(BsonDocument cursor, String key) {
    cursorId = cursorId(cursor);
    List<BsonDocument> events = new ArrayList<>();
    BsonValue arr = cursor.get(key);
    if (arr != null && arr.isArray()) {
      for (BsonValue v : arr.asArray()) {
        if (v.isDocument()) {
          events.add(v.asDocument());
        }
      }
    }
    BsonValue pbrt = cursor.get("postBatchResumeToken");
    return new ChangeSource.Batch(
        events, pbrt != null && pbrt.isDocument() ? pbrt.asDocument() : null, cursorId == 0);
  }

  private static long cursorId(BsonDocument cursor) {
    BsonValue id = cursor.get("id");
    return id == null
        ? 0
        : id.isInt64() ? id.asInt64().getValue() : id.isInt32() ? id.asInt32().getValue() : 0;
  }
}
