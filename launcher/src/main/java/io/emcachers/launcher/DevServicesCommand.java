package io.emcachers.launcher;

import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code emcachers dev-services}: a real PostgreSQL (embedded binaries, data kept under the data
 * dir) and the MongoDB wire-protocol server with its oplog, until stopped. Prints one {@code
 * EMC_PG_URL=} and one {@code EMC_MONGO_URL=} line on stdout once both are ready.
 */
@Command(
    name = "dev-services",
    mixinStandardHelpOptions = true,
    description =
        "Start PostgreSQL (embedded) and the MongoDB wire-protocol test server; print their URLs; run until stopped.")
final class DevServicesCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(DevServicesCommand.class);

  @Option(
      names = "--data-dir",
      defaultValue = "./data",
      description = "PostgreSQL data goes to DIR/dev-services/pg (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--pg-port",
      defaultValue = "0",
      description = "PostgreSQL port (0: any free port)")
  int pgPort;

  @Option(
      names = "--mongo-port",
      defaultValue = "0",
      description = "MongoDB wire-protocol port (0: any free port)")
  int mongoPort;

  @Option(
      names = "--mongo-database",
      defaultValue = "app",
      description = "database named in EMC_MONGO_URL (default: ${DEFAULT-VALUE})")
  String database;

  @Override
  public Integer call() throws Exception {
    Path pgDir = dataDir.toAbsolutePath().normalize().resolve("dev-services").resolve("pg");
    LOG.info("dev-services step 1: starting PostgreSQL (data {})", pgDir);
    DevPostgres pg = new DevPostgres(pgDir, pgPort).start();
    LOG.info(
        "dev-services step 2: starting the MongoDB wire-protocol server (in memory, oplog enabled)");
    DevMongo mongo = DevMongo.start(mongoPort);
    CountDownLatch stopped = new CountDownLatch(1);
    Shutdown.install(
        () -> {
          LOG.info("dev-services: stopping");
          mongo.close();
          pg.stop();
          stopped.countDown();
        });
    System.out.println("EMC_PG_URL=" + pg.url());
    System.out.println("EMC_MONGO_URL=" + mongo.url(database));
    System.out.flush();
    LOG.info(
        "dev-services ready: PostgreSQL on {}, MongoDB wire protocol on {}",
        pg.port(),
        mongo.port());
    stopped.await();
    return 0;
  }
}
