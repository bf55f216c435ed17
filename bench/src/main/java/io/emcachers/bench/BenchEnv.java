package io.emcachers.bench;

import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * What every stage of a run works against: the PostgreSQL server, the MongoDB wire-protocol
 * server's JVM, the pipeline config overrides ({@code --set}) and the scratch directory.
 */
record BenchEnv(DevPostgres pg, MongoChild mongo, JsonObject overrides, Path work) {

  /** JDBC URL of database {@code db} on the run's PostgreSQL. */
  String jdbc(String db) {
    return "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db + "?user=postgres";
  }

  /** The pipeline's ({@code postgres.url}) form of the same database. */
  String pgUrl(String db) {
    return "postgresql://postgres@127.0.0.1:" + pg.port() + "/" + db;
  }
}
