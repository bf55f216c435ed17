package io.emcachers.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 11: scans read the primary with read concern majority, whatever the connection
 * string asks for.
 */
class MongoSourceTest {

  @Test
  void scansReadThePrimaryWithMajorityReadConcern() {
    Vertx vertx = Vertx.vertx();
    try {
      MongoSource source =
          new MongoSource(
              vertx.getOrCreateContext(),
              "mongodb://127.0.0.1:1/app?readPreference=secondaryPreferred&readConcernLevel=local&serverSelectionTimeoutMS=100",
              "app");
      var coll = source.scanCollection("users");
      assertEquals(ReadPreference.primary(), coll.getReadPreference());
      assertEquals(ReadConcern.MAJORITY, coll.getReadConcern());
      source.close();
    } finally {
      vertx.close();
    }
  }
}
