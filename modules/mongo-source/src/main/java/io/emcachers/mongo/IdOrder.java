package io.emcachers.mongo;

import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonType;
import org.bson.BsonValue;

/**
 * MongoDB's {@code _id} order across BSON types and the filter that continues a pass after the last
 * {@code _id} read: {@code $gt} stays within one type bracket, so later brackets are added by
 * {@code $type}. The listener's scan and the verifier's source pass both page with it.
 */
public final class IdOrder {

  public static final List<List<String>> TYPE_BRACKETS =
      List.of(
          List.of("minKey"),
          List.of("null"),
          List.of("int", "long", "double", "decimal"),
          List.of("string"),
          List.of("object"),
          List.of("binData"),
          List.of("objectId"),
          List.of("bool"),
          List.of("date"),
          List.of("timestamp"),
          List.of("regex"),
          List.of("maxKey"));

  private IdOrder() {}

  /** Documents after {@code last} in {@code _id} order (all when {@code last} is null). */
  public static BsonDocument filterAfter(BsonValue last) {
    if (last == null) {
      return new BsonDocument();
    }
    BsonDocument gt = new BsonDocument("_id", new BsonDocument("$gt", last));
    int bracket = bracketOf(last.getBsonType());
    BsonArray later = new BsonArray();
    for (int i = bracket + 1; i < TYPE_BRACKETS.size(); i++) {
      TYPE_BRACKETS.get(i).forEach(alias -> later.add(new BsonString(alias)));
    }
    if (later.isEmpty()) {
      return gt;
    }
    BsonArray or = new BsonArray();
    or.add(gt);
    or.add(new BsonDocument("_id", new BsonDocument("$type", later)));
    return new BsonDocument("$or", or);
  }

  public static int bracketOf(BsonType type) {
    return switch (type) {
      case MIN_KEY -> 0;
      case NULL, UNDEFINED -> 1;
      case INT32, INT64, DOUBLE, DECIMAL128 -> 2;
      case STRING, SYMBOL -> 3;
      case DOCUMENT -> 4;
      case BINARY -> 5;
      case OBJECT_ID -> 6;
      case BOOLEAN -> 7;
      case DATE_TIME -> 8;
      case TIMESTAMP -> 9;
      case REGULAR_EXPRESSION -> 10;
      case MAX_KEY -> 11;
      default -> 4;
    };
  }
}
