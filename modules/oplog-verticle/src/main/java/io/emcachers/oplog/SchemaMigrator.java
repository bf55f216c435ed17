package io.emcachers.oplog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned schema migrations in {@code classpath:db/migration} with Flyway (JDBC), on
 * a worker thread. Flyway serialises concurrent migrations of the same database with its own
 * advisory lock, so several nodes may start at once; an up-to-date schema is a no-op.
 */
public final class SchemaMigrator {

  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

  public static final String LOCATION = "classpath:db/migration";

  private final Vertx vertx;
  private final OplogConfig config;

  public SchemaMigrator(Vertx vertx, OplogConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /**
   * Runs pending migrations; completes with the number of migrations applied (0 when up to date).
   */
  public Future<Integer> migrate() {
    return vertx.executeBlocking(this::migrateBlocking, false);
  }

  private int migrateBlocking() {
    Flyway flyway =
        Flyway.configure(SchemaMigrator.class.getClassLoader())
            .dataSource(
                config.jdbcUrl(),
                config.pgUser(),
                config.pgPassword() == null ? "" : config.pgPassword())
            .locations(LOCATION)
            .connectRetries(0)
            .loggers("slf4j")
            .load();
    MigrateResult result = flyway.migrate();
    String version =
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : result.initialSchemaVersion;
    if (result.migrationsExecuted > 0) {
      LOG.info(
          "oplog schema migrated on {}: {} migration(s) applied, now at version {}",
          config.describeTarget(),
          result.migrationsExecuted,
          version);
    } else {
      LOG.info("oplog schema on {} is up to date at version {}", config.describeTarget(), version);
    }
    return result.migrationsExecuted;
  }
}
