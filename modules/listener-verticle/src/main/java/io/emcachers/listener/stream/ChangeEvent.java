package io.emcachers.listener.stream;

import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * One change-stream event, as the listener uses it. {@code collection} is the event's
 * {@code ns.coll} when the server sends it (database-level streams), else the stream's collection.
 */
public record ChangeEvent(String operationType, String collection, BsonDocument token, BsonDocument fullDocument, BsonDocument documentKey) {

  public static final String INSERT = "insert";
  public static final String UPDATE = "update";
  public static final String REPLACE = "replace";
  public static final String DELETE = "delete";
  public static final String INVALIDATE = "invalidate";

  public static ChangeEvent parse(BsonDocument event, String defaultCollection) {
    String op = event.isString("operationType") ? event.getString("operationType").getValue() : "unknown";
    String coll = defaultCollection;
    BsonValue ns = event.get("ns");
    if (ns != null && ns.isDocument() && ns.asDocument().isString("coll")) {
      coll = ns.asDocument().getString("coll").getValue();
    }
    BsonValue id = event.get("_id");
    BsonValue full = event.get("fullDocument");
    BsonValue key = event.get("documentKey");
    return new ChangeEvent(op, coll,
        id != null && id.isDocument() ? id.asDocument() : null,
        full != null && full.isDocument() ? full.asDocument() : null,
        key != null && key.isDocument() ? key.asDocument() : null);
  }

  /** insert, update or replace: the event carries (or looked up) the whole document. */
  public boolean isUpsert() {
    return INSERT.equals(operationType) || UPDATE.equals(operationType) || REPLACE.equals(operationType);
  }

  public boolean isDelete() {
    return DELETE.equals(operationType);
  }
}
