package io.emcachers.core.projection;

import org.bson.BsonValue;

/**
 * The oplog's {@code doc_id} text of a document's {@code _id}: strings as they are, ObjectIds as
 * 24-hex, UUIDs (binary subtype 4) canonical, numbers as decimal text (int32 1, int64 1 and double
 * 1.0 are the same {@code _id} to MongoDB and give "1"), dates as ISO-8601 UTC with milliseconds,
 * booleans true/false, and any other type (documents, other binaries...) as its relaxed Extended JSON.
 */
public final class DocIds {

  private DocIds() {}

  public static String docId(BsonValue id) {
    if (id == null || id.isNull()) {
      throw new IllegalArgumentException("document has no _id");
    }
    return switch (id.getBsonType()) {
      case STRING -> id.asString().getValue();
      case OBJECT_ID -> id.asObjectId().getValue().toHexString();
      case INT32 -> Integer.toString(id.asInt32().getValue());
      case INT64 -> Long.toString(id.asInt64().getValue());
      case DOUBLE -> Coercion.doubleText(id.asDouble().getValue());
      case DECIMAL128 -> Coercion.decimalText(id.asDecimal128().getValue());
      case DATE_TIME -> Coercion.isoMillis(id.asDateTime().getValue());
      case BOOLEAN -> Boolean.toString(id.asBoolean().getValue());
      case BINARY -> {
        String uuid = Coercion.uuidOrNull(id.asBinary());
        yield uuid != null ? uuid : String.valueOf(BsonJson.toJsonValue(id));
      }
      default -> {
        Object json = BsonJson.toJsonValue(id);
        yield json instanceof io.vertx.core.json.JsonObject o ? o.encode() : String.valueOf(json);
      }
    };
  }
}
