package io.emcachers.devservices;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real PostgreSQL server from the embedded binaries that ship inside Maven jars. Keeps its data
 * directory across {@link #stop()}/{@link #start()} so tests can simulate an outage, and so {@code
 * dev-services} keeps data across restarts. Trust authentication on loopback; user and database
 * {@code postgres}.
 */
public final class DevPostgres implements AutoCloseable {

  private final Path dataDir;
  private int port;
  private EmbeddedPostgres pg;

  /**
   * @param dataDir where the cluster lives (created when missing); @param port 0 for any free port
   */
  public DevPostgres(Path dataDir, int port) {
    this.dataDir = dataDir;
    this.port = port;
  }

  /** Starts a throwaway server in a temporary directory on a free port. */
  public static DevPostgres startTemporary() {
    try {
      DevPostgres pg = new DevPostgres(Files.createTempDirectory("emc-pg-"), 0);
      pg.start();
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public synchronized DevPostgres start() {
    if (pg != null) {
      return this;
    }
    try {
      Files.createDirectories(dataDir);
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(false)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setServerConfig("max_connections", "200")
              .setServerConfig("fsync", "on")
              // the embedded library defaults to synchronous_commit=off: a PostgreSQL crash could
              // then lose
              // commits that replicators already applied, and their ids would be reused
              .setServerConfig("synchronous_commit", "on")
              .setServerConfig("full_page_writes", "on")
              .setServerConfig("listen_addresses", "127.0.0.1");
      if (port > 0) {
        builder.setPort(port);
      }
      pg = builder.start();
      port = pg.getPort();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start embedded PostgreSQL in " + dataDir, e);
    }
  }

  /** Stops the server, keeping its data directory and port for a later {@link #start()}. */
  public synchronized void stop() {
    if (pg != null) {
      try {
        pg.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        pg = null;
      }
    }
  }

  public synchronized boolean running() {
    return pg != null;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** {@code postgresql://postgres@127.0.0.1:PORT/postgres}, the form {@code --pg-url} takes. */
  public String url() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  /** The same server as a JDBC URL. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  @Override
  public void close() {
    stop();
  }
}
