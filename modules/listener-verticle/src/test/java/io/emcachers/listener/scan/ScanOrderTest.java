package io.emcachers.listener.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonMaxKey;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

class ScanOrderTest {

  @Test
  void continuationFilterCrossesTypeBrackets() {
    assertEquals(new BsonDocument(), ScanOrder.filterAfter(null));
    BsonDocument afterNumber = ScanOrder.filterAfter(new BsonInt32(5));
    assertEquals(
        BsonDocument.parse(
            """
        {"$or": [{"_id": {"$gt": 5}},
                 {"_id": {"$type": ["string", "object", "binData", "objectId", "bool", "date", "timestamp", "regex", "maxKey"]}}]}
        """),
        afterNumber);
    BsonDocument afterString = ScanOrder.filterAfter(new BsonString("k"));
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
        ScanOrder.filterAfter(new BsonMaxKey()));
  }
}
