package io.emcachers.oplog;

import io.emcachers.devservices.DevPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One real PostgreSQL (embedded binaries) per test class, in a temporary data directory. */
abstract class PostgresTestBase {

  @TempDir static Path dir;
  static DevPostgres pg;

  @BeforeAll
  static void startPostgres() {
    pg = OplogTestSupport.startPostgres(dir);
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }
}
