package io.emcachers.devservices;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/**
 * The MongoDB wire-protocol server (mongo-java-server, in-memory backend) with its oplog enabled,
 * so collection-level change streams work. Known gaps: database-level watch() yields nothing, an
 * update event's documentKey is wrong (take the id from the looked-up document), replaces are
 * reported as updates. Data lives as long as this object.
 */
public final class DevMongo implements AutoCloseable {

  private final MongoServer server;
  private final InetSocketAddress address;

  private DevMongo(MongoServer server, InetSocketAddress address) {
    this.server = server;
    this.address = address;
  }

  /** Starts on 127.0.0.1 and {@code port} (0: any free port). */
  public static DevMongo start(int port) {
    MongoServer server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", port);
    return new DevMongo(server, server.getLocalAddress());
  }

  public int port() {
    return address.getPort();
  }

  /** {@code mongodb://127.0.0.1:PORT/DATABASE}, the form {@code --mongo-url} takes. */
  public String url(String database) {
    return "mongodb://127.0.0.1:" + port() + "/" + database;
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
