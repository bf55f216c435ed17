package io.emcachers.listener;

import io.emcachers.devservices.DevMongo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The listener scenarios against the MongoDB wire-protocol server (DevMongo: collection-level
 * change streams only, replaces reported as updates), a real PostgreSQL and the real oplog
 * verticle.
 */
class ListenerTest extends ListenerScenarios {

  static DevMongo mongoServer;

  @BeforeAll
  static void start() {
    mongoServer = DevMongo.start(0);
    startServers(mongoServer.url("app"));
  }

  @AfterAll
  static void stopMongo() {
    if (mongoServer != null) {
      mongoServer.close();
    }
  }
}
