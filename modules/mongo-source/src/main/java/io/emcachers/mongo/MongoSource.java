package io.emcachers.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.reactivestreams.client.ClientSession;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoDatabase;
import io.emcachers.core.circuit.Breaker;
import io.emcachers.core.circuit.BreakerConfig;
import io.emcachers.core.circuit.Breakers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source database, through the MongoDB reactive-streams driver that vertx-mongo-client ships
 * with. The listener needs what vertx-mongo-client 5.0's {@code watch()} does not offer
 * (resumeAfter, a database-level stream, the cursor's post-batch resume token, an explicit open
 * moment), so change streams are driven here as plain {@code aggregate}/{@code getMore} commands,
 * and documents stay BSON end to end (exact types for the coercion rules). Every future completes
 * on the listener's context.
 *
 * <p>Commands (change-stream {@code aggregate}/{@code getMore}/{@code killCursors}, pings, the
 * session probe) and {@link #estimatedCount} run through this source's {@code mongodb} circuit
 * breaker ({@link #circuitHealth()}): socket, timeout, not-primary and node-recovering errors
 * count; command errors the server answered with do not. While it is open they fail at once with an
 * UNAVAILABLE "mongodb circuit open: ..." error, which the listener treats like any transient
 * source failure (backoff, retry). Scan cursors ({@link #cursor}, {@link #scanCollection}) are not
 * guarded call by call.
 */
public final class MongoSource implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MongoSource.class);

  private final Context context;
  private final MongoClient client;
  private final MongoDatabase database;
  private final String databaseName;
  private final Breaker breaker;
  private ClientSession session;
  private boolean sessionTried;

  /** A source with the default circuit-breaker settings ({@link BreakerConfig#DEFAULTS}). */
  public MongoSource(Context context, String url, String databaseName) {
    this(context, url, databaseName, BreakerConfig.DEFAULTS);
  }

  /**
   * A source whose {@code mongodb} circuit breaker uses {@code circuit} (root section {@code
   * circuit}).
   */
  public MongoSource(Context context, String url, String databaseName, BreakerConfig circuit) {
    this.context = context;
    this.breaker =
        Breakers.create(context.owner(), Breakers.MONGODB, circuit, MongoSource::isInfrastructure);
    this.databaseName = databaseName;
    MongoClientSettings settings =
        MongoClientSettings.builder()
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
        .compose(
            s ->
                command(s, new BsonDocument("ping", new org.bson.BsonInt32(1)))
                    .map(pong -> s)
                    .recover(
                        err -> {
                          s.close();
                          return Future.failedFuture(err);
                        }))
        .recover(
            err -> {
              LOG.info(
                  "listener: source has no sessions ({}); change-stream cursors run without one",
                  err.getMessage());
              return Future.succeededFuture(null);
            })
        .map(
            s -> {
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
    String name = command.isEmpty() ? "command" : "command " + command.getFirstKey();
    return onContext(
        breaker.call(
            name,
            () ->
                Reactive.first(
                    context,
                    session == null
                        ? database.runCommand(command, BsonDocument.class)
                        : database.runCommand(session, command, BsonDocument.class))));
  }

  /**
   * One cursor over {@code collection} matching {@code filter} in {@code sort} order, read page by
   * page ({@link PagedCursor#next(int)}); {@code batchSize} documents per server round trip.
   */
  public PagedCursor<BsonDocument> cursor(
      String collection, BsonDocument filter, BsonDocument sort, int batchSize) {
    return cursor(collection, filter, sort, null, batchSize);
  }

  /**
   * {@link #cursor(String, BsonDocument, BsonDocument, int)} returning only the fields {@code
   * fields} includes (a MongoDB projection such as {@code Projection#sourceFields}; null: whole
   * documents).
   */
  public PagedCursor<BsonDocument> cursor(
      String collection,
      BsonDocument filter,
      BsonDocument sort,
      BsonDocument fields,
      int batchSize) {
    var find = scanCollection(collection).find(filter).sort(sort).batchSize(batchSize);
    return new PagedCursor<>(context, fields == null ? find : find.projection(fields));
  }

  /**
   * The collection as scans read it: from the primary with read concern majority, whatever the
   * connection string says. A scan must not read data older than the change stream's start (a
   * lagging secondary) nor data that may roll back; change streams themselves only return
   * majority-committed changes.
   */
  public com.mongodb.reactivestreams.client.MongoCollection<BsonDocument> scanCollection(
      String collection) {
    return database
        .getCollection(collection, BsonDocument.class)
        .withReadPreference(com.mongodb.ReadPreference.primary())
        .withReadConcern(com.mongodb.ReadConcern.MAJORITY);
  }

  /** The collection's estimated document count (metadata; may be off). */
  public Future<Long> estimatedCount(String collection) {
    return onContext(
        breaker.call(
            "estimated count of " + collection,
            () ->
                Reactive.first(
                    context,
                    database
                        .getCollection(collection, BsonDocument.class)
                        .estimatedDocumentCount())));
  }

  /**
   * This source's breaker as health replies show it: {@code {"mongodb": {"state": "closed",
   * "failures": 0, ...}}}, for the listener's health details ({@code details.circuits}).
   */
  public io.vertx.core.json.JsonObject circuitHealth() {
    return new io.vertx.core.json.JsonObject().put(breaker.target(), breaker.toJson());
  }

  /** The {@code mongodb} circuit breaker of this source. */
  public Breaker breaker() {
    return breaker;
  }

  /**
   * MongoDB driver failures that mean the server is unreachable or not serving (the generic network
   * rules are core's).
   */
  static boolean isInfrastructure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.mongodb.MongoSocketException
          || t instanceof com.mongodb.MongoTimeoutException
          || t instanceof com.mongodb.MongoNotPrimaryException
          || t instanceof com.mongodb.MongoNodeIsRecoveringException
          || t instanceof com.mongodb.MongoConnectionPoolClearedException) {
        return true;
      }
    }
    return false;
  }

  /** Completes on the listener's context whatever thread the breaker completed on. */
  private <T> Future<T> onContext(Future<T> f) {
    io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
    f.onComplete(
        ar -> {
          if (io.vertx.core.Vertx.currentContext() == context) {
            p.handle(ar);
          } else {
            context.runOnContext(v -> p.handle(ar));
          }
        });
    return p.future();
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
    breaker.close();
    client.close();
  }
}
