package io.emcachers.listener.stream;

import io.emcachers.core.client.OplogClient;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change streams of one listener session, keyed by the collections they carry: with {@code
 * watch_scope = collection} one stream per watched collection (named after it), with {@code
 * database} one stream {@code _db} {@code $match}ed on the watched collections. The set follows the
 * watched collections ({@link #reconcile}); everything else asks it by collection name. Runs on the
 * listener's context.
 */
public final class StreamSet {

  private static final Logger LOG = LoggerFactory.getLogger(StreamSet.class);

  private final ListenerConfig config;
  private final StreamContext ctx;
  private final Map<String, ChangeStream> streams = new LinkedHashMap<>();
  private boolean stopped;

  /**
   * {@code oplog}: where a stream re-reads its committed resume token after a failure; {@code
   * changes}: where the streams' events come from ({@link ChangeSource#mongo} in production).
   */
  public StreamSet(
      Vertx vertx,
      ListenerConfig config,
      Clock clock,
      ChangeSource changes,
      BatchWindow window,
      StreamHooks hooks,
      OplogClient oplog) {
    this.config = config;
    this.ctx = new StreamContext(vertx, config, clock, changes, window, hooks, oplog);
  }

  private boolean databaseScope() {
    return config.watchScope() == ListenerConfig.WatchScope.database;
  }

  /** The names of the streams that carry {@code collections}. */
  public Set<String> namesFor(Collection<String> collections) {
    Set<String> names = new TreeSet<>();
    if (databaseScope()) {
      if (!collections.isEmpty()) {
        names.add(ListenerConfig.DB_STREAM);
      }
    } else {
      names.addAll(collections);
    }
    return names;
  }

  /**
   * Session start: opens the streams of {@code collections}, each resuming after its stored token
   * (null: from now). A stream an entity change already opened (an entity created while the session
   * was starting) is kept: a second stream of the same name would send batches that follow the same
   * stored token, each refused as a conflict and turned into a re-scan, over and over.
   */
  public void open(List<String> collections, Function<String, JsonObject> storedTokens) {
    for (String name : namesFor(collections)) {
      ChangeStream existing = streams.get(name);
      if (existing == null) {
        create(name, collections, storedTokens.apply(name), false);
      } else if (name.equals(ListenerConfig.DB_STREAM)) {
        existing.watchCollections(collections);
      }
    }
  }

  /**
   * Opens the streams {@code collections} now need and stops unused ones; the database stream
   * follows the new list. Returns true when a stream was created.
   */
  public boolean reconcile(List<String> collections) {
    if (stopped) {
      return false;
    }
    Set<String> needed = namesFor(collections);
    boolean created = false;
    for (String name : List.copyOf(streams.keySet())) {
      if (!needed.contains(name)) {
        LOG.info("listener: no entity uses stream {} any more; stopping it", name);
        streams.remove(name).stop();
      }
    }
    for (String name : needed) {
      ChangeStream s = streams.get(name);
      if (s == null) {
        // a collection watched before has a stored position: the stream reads it before opening
        create(name, collections, null, true);
        created = true;
      } else if (name.equals(ListenerConfig.DB_STREAM)) {
        s.watchCollections(collections);
      }
    }
    return created;
  }

  private void create(
      String name, List<String> collections, JsonObject storedToken, boolean readCommittedFirst) {
    boolean db = name.equals(ListenerConfig.DB_STREAM);
    ChangeStream s =
        new ChangeStream(
            ctx, name, db ? null : name, db ? collections : null, storedToken, readCommittedFirst);
    streams.put(name, s);
    s.start();
  }

  private ChangeStream of(String collection) {
    return streams.get(databaseScope() ? ListenerConfig.DB_STREAM : collection);
  }

  /** The name of the stream that carries {@code collection}, or null when none does. */
  public String streamOf(String collection) {
    ChangeStream s = of(collection);
    return s == null ? null : s.name();
  }

  /**
   * True when the stream carrying {@code collection} has a committed position (it resumes, it does
   * not start at "now").
   */
  public boolean hasCommittedPosition(String collection) {
    ChangeStream s = of(collection);
    return s != null && s.position().ackedToken() != null;
  }

  /**
   * True when the stream carrying {@code collection} resumed from a token the oplog side stored,
   * with no gap since.
   */
  public boolean continuous(String collection) {
    ChangeStream s = of(collection);
    return s != null && s.position().continuous();
  }

  /**
   * Completes once the stream carrying {@code collection} is open (its position precedes anything
   * read later).
   */
  public Future<Void> whenOpen(String collection) {
    ChangeStream s = of(collection);
    return s == null
        ? Future.failedFuture(new IllegalStateException("no change stream for " + collection))
        : s.whenOpen();
  }

  public void stop() {
    stopped = true;
    streams.values().forEach(ChangeStream::stop);
    streams.clear();
  }

  public JsonArray toJson() {
    JsonArray out = new JsonArray();
    streams.values().forEach(s -> out.add(s.toJson()));
    return out;
  }
}
