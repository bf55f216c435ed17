package io.emcachers.listener.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.reactivestreams.client.ClientSession;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoDatabase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source database, through the MongoDB reactive-streams driver that vertx-mongo-client ships
 * with. The listener needs what vertx-mongo-client 5.0's {@code watch()} does not offer (resumeAfter,
 * a database-level stream, the cursor's post-batch resume token, an explicit open moment), so change
 * streams are driven here as plain {@code aggregate}/{@code getMore} commands, and documents stay
 * BSON end to end (exact types for the coercion rules). Every future completes on the listener's
 * context.
 */
public final class MongoSource implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MongoSource.class);

  private final Context context;
  private final MongoClient client;
  private final MongoDatabase database;
  private final String databaseName;
  private ClientSession session;
  private boolean sessionTried;

  public MongoSource(Context context, String url, String databaseName) {
    this.context = context;
    this.databaseName = databaseName;
    MongoClientSettings settings = MongoClientSettings.builder()
        .applyConnectionString(new ConnectionString(url))
        .applyToClusterSettings(b -> b.serverSelectionTimeout(10, TimeUnit.SECONDS))
        .applyToSocketSettings(b -> b.connectTimeout(10, TimeUnit.SECONDS))
        .build();
    this.client = MongoClients.create(settings);
    this.database = client.getDatabase(databaseName);
  }

  public String databaseName() {
    return databaseName;
  }

  /**
   * The session change-stream cursors run in (a cursor may only be continued in the session that
   * opened it); null on servers without sessions, such as the wire-protocol test server.
   */
  public Future<ClientSession> session() {
    if (sessionTried) {
      return Future.succeededFuture(session);
    }
    // a client-side session object can be created against any server; whether the server takes
    // it shows on first use, so probe with a ping in the session
    return Reactive.first(context, client.startSession())
        .compose(s -> command(s, new BsonDocument("ping", new org.bson.BsonInt32(1))).map(pong -> s).recover(err -> {
          s.close();
          return Future.failedFuture(err);
        }))
        .recover(err -> {
          LOG.info("listener: source has no sessions ({}); change-stream cursors run without one", err.getMessage());
          return Future.succeededFuture(null);
        })
        .map(s -> {
          if (!sessionTried) {
            sessionTried = true;
            session = s;
          } else if (s != null && s != session) {
            s.close();
          }
          return session;
        });
  }

  /** Runs one command in the database (in {@code session} when not null) and returns its reply. */
  public Future<BsonDocument> command(ClientSession session, BsonDocument command) {
    return Reactive.first(context, session == null
        ? database.runCommand(command, BsonDocument.class)
        : database.runCommand(session, command, BsonDocument.class));
  }

  /**
   * One cursor over {@code collection} matching {@code filter} in {@code sort} order, read page by page
   * ({@link PagedCursor#next(int)}); {@code batchSize} documents per server round trip.
   */
  public PagedCursor<BsonDocument> cursor(String collection, BsonDocument filter, BsonDocument sort, int batchSize) {
    return new PagedCursor<>(context, scanCollection(collection).find(filter).sort(sort).batchSize(batchSize));
  }

  /**
   * The collection as scans read it: from the primary with read concern majority, whatever the
   * connection string says. A scan must not read data older than the change stream's start (a lagging
   * secondary) nor data that may roll back; change streams themselves only return majority-committed
   * changes.
   */
  public com.mongodb.reactivestreams.client.MongoCollection<BsonDocument> scanCollection(String collection) {
    return database.getCollection(collection, BsonDocument.class)
        .withReadPreference(com.mongodb.ReadPreference.primary())
        .withReadConcern(com.mongodb.ReadConcern.MAJORITY);
  }

  /** The collection's estimated document count (metadata; may be off). */
  public Future<Long> estimatedCount(String collection) {
    return Reactive.first(context, database.getCollection(collection, BsonDocument.class).estimatedDocumentCount());
  }

  @Override
  public void close() {
    if (session != null) {
      try {
        session.close();
      } catch (RuntimeException e) {
        LOG.debug("closing session: {}", e.toString());
      }
      session = null;
    }
    client.close();
  }
}
