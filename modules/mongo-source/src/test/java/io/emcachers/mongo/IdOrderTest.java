package io.emcachers.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonMaxKey;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

class IdOrderTest {

  @Test
  void continuationFilterCrossesTypeBrackets() {
    assertEquals(new BsonDocument(), IdOrder.filterAfter(null));
    BsonDocument afterNumber = IdOrder.filterAfter(new BsonInt32(5));
    assertEquals(
        BsonDocument.parse(
            """
        {"$or": [{"_id": {"$gt": 5}},
                 {"_id": {"$type": ["string", "object", "binData", "objectId", "bool", "date", "timestamp", "regex", "maxKey"]}}]}
        """),
        afterNumber);
    BsonDocument afterString = IdOrder.filterAfter(new BsonString("k"));
    assertEquals(
        "objectId",
        afterString
            .getArray("$or")
            .get(1)
            .asDocument()
            .getDocument("_id")
            .getArray("$type")
            .get(2)
            .asString()
            .getValue());
    assertEquals(
        BsonDocument.parse("{\"_id\": {\"$gt\": {\"$maxKey\": 1}}}"),
        IdOrder.filterAfter(new BsonMaxKey()));
  }
}
