package io.emcachers.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scale stage's failover part (issue 13): three app JVMs with the {@code oplog}, {@code
 * listener} and {@code api} roles on one PostgreSQL database and one source, while changes are
 * written to the source at {@code --scale-write-rate}. The leader is killed with SIGKILL, then the
 * standby that took over is frozen with SIGSTOP and the last one takes over. Each takeover is timed
 * from just before the signal until a standby's own {@code /health/detailed} says its oplog
 * verticle leads, and until the first oplog row it writes (the writes flowing again); the lease's
 * age at the signal, read from {@code leader_lease}, explains the spread of the SIGSTOP figure. The
 * frozen node is then resumed with SIGCONT and must become a standby without leading again.
 *
 * <p>The two nodes are not clustered: leadership is decided in PostgreSQL (advisory lock + lease),
 * and each node's {@code /health} then answers for its own oplog verticle.
 */
final class ScaleFailover {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  static final String DB = "bench_failover";
  static final String COLLECTION = "bench_failover_src";
  static final String ENTITY = "failover_w";
  static final int DOCS = 500;

  /** The lease row and the oplog's last id are read this often after a signal. */
  static final long POLL_MS = 20;

  /**
   * The standby's {@code /health/detailed} is asked this often: each call runs every health
   * procedure of the node, which should not load the node that is taking over.
   */
  static final long HEALTH_POLL_MS = 50;

  private final BenchMain opts;
  private final BenchEnv env;
  private final ScaleStage.Nodes nodes;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Path dir;
  private Path entitiesFile;

  ScaleFailover(BenchMain opts, BenchEnv env, ScaleStage.Nodes nodes) {
    this.opts = opts;
    this.env = env;
    this.nodes = nodes;
  }

  JsonObject run() throws Exception {
    Pipeline.createDatabase(env.pg().jdbcUrl(), DB);
    env.mongo().command("fill-stream app " + COLLECTION + " " + DOCS);
    dir = env.work().resolve("scale-failover");
    Files.createDirectories(dir);
    entitiesFile = dir.resolve("entities.json");
    Files.writeString(
        entitiesFile,
        new JsonArray().add(Docs.streamEntityDefinition(ENTITY, COLLECTION)).encode());
    Vertx vertx = Vertx.vertx();
    MongoClient mongo =
        MongoClient.create(
            vertx, new JsonObject().put("connection_string", env.mongo().url("app")));
    Writer writer = new Writer(vertx, mongo, opts.scaleWriteRate);
    List<AppNode> started = new ArrayList<>();
    try (Connection pg = DriverManager.getConnection(env.jdbc(DB))) {
      // three nodes start at once: one leads, two stand by, so the SIGKILL and the SIGSTOP each
      // find a standby without a restart in between
      for (String id : List.of("fa", "fb", "fc")) {
        started.add(start(id));
      }
      for (AppNode n : started) {
        n.awaitReady(180_000);
      }
      AppNode first = awaitOneLeader(started);
      writer.start();
      awaitOplogGrowth(pg, first);
      LOG.info("scale: failover after SIGKILL of the leader ({})", first.id());
      List<AppNode> standbys = new ArrayList<>(started);
      standbys.remove(first);
      Takeover crash = takeover(pg, first, standbys, "KILL");
      standbys.remove(crash.winner());
      awaitOplogGrowth(pg, crash.winner());
      AppNode frozen = crash.winner();
      LOG.info("scale: failover after SIGSTOP of the leader ({})", frozen.id());
      Takeover hang = takeover(pg, frozen, standbys, "STOP");
      long ledBefore = frozen.count("is the leader");
      long cont = System.nanoTime();
      frozen.signal("CONT");
      awaitRole(frozen, false);
      hang.json().put("resumed_to_standby_ms", (System.nanoTime() - cont) / 1_000_000);
      awaitOplogGrowth(pg, hang.winner()); // writes keep going through the new leader meanwhile
      hang.json().put("resumed_led_again", frozen.count("is the leader") > ledBefore);
      writer.stop();
      return new JsonObject()
          .put(
              "topology",
              "3 app JVMs (oplog, listener, api): a leader and two standbys, not clustered, one PostgreSQL")
          .put("write_rate", opts.scaleWriteRate)
          .put("writes", writer.json())
          .put("poll_ms", POLL_MS)
          .put("health_poll_ms", HEALTH_POLL_MS)
          .put(
              "timed_from",
              "just before the signal, until a standby's own /health/detailed reports its oplog verticle as leader")
          .put("sigkill", crash.json())
          .put("sigstop", hang.json());
    } finally {
      writer.stop();
      for (AppNode n : started) {
        n.close(); // SIGCONT first if still frozen
      }
      mongo.close();
      Pipeline.await(vertx.close(), 30);
    }
  }

  /** Waits until one node reports leader and every other one standby; returns the leader. */
  private AppNode awaitOneLeader(List<AppNode> all) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      AppNode leader = null;
      int standby = 0;
      for (AppNode n : all) {
        JsonObject d = oplogHealth(n);
        if (d != null && d.getBoolean("leader", false)) {
          leader = n;
        } else if (d != null && "standby".equals(d.getString("state"))) {
          standby++;
        }
      }
      if (leader != null && standby == all.size() - 1) {
        return leader;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "scale: no single leader with standbys within 60 s" + all.get(0).tail());
      }
      Thread.sleep(100);
    }
  }

  /** A measured takeover: its figures and the standby that took over. */
  record Takeover(JsonObject json, AppNode winner) {}

  private Map<String, String> nodeEnv() {
    Map<String, String> e = nodes.env();
    e.put("EMC_ROLES", "oplog,listener,api");
    return e;
  }

  private List<String> args() {
    List<String> a = nodes.args(env.pgUrl(DB));
    a.addAll(List.of("--entities", entitiesFile.toString()));
    return a;
  }

  private AppNode start(String id) throws Exception {
    return AppNode.start(
        nodes.launch(),
        id,
        dir.resolve(id),
        dir.resolve(id + ".log"),
        ScaleStage.freePort(),
        args(),
        nodeEnv());
  }

  /**
   * The signal, then polls the lease row and the oplog's last id every {@link #POLL_MS} and the
   * standby's health every {@link #HEALTH_POLL_MS}.
   */
  private Takeover takeover(Connection pg, AppNode victim, List<AppNode> standbys, String sig)
      throws Exception {
    Lease before = lease(pg);
    long t0 = System.nanoTime();
    if ("KILL".equals(sig)) {
      victim.kill();
    } else {
      victim.signal(sig);
    }
    long signalled = System.nanoTime();
    long leaseAt = 0;
    long leaderAt = 0;
    long writesAt = 0;
    long maxAtLeader = 0;
    AppNode winner = null;
    Lease after = before;
    long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
    long lastHealth = 0;
    while (writesAt == 0) {
      Lease now = lease(pg);
      long t = System.nanoTime();
      if (leaseAt == 0 && now.epoch() > before.epoch()) {
        leaseAt = t;
        after = now;
      }
      if (winner == null && t - lastHealth >= TimeUnit.MILLISECONDS.toNanos(HEALTH_POLL_MS)) {
        lastHealth = t;
        for (AppNode s : standbys) {
          if (leads(s)) {
            leaderAt = System.nanoTime();
            winner = s;
            maxAtLeader = lease(pg).maxId();
            break;
          }
        }
      } else if (winner != null && now.maxId() > maxAtLeader) {
        writesAt = t;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "scale: after SIG"
                + sig
                + " of "
                + victim.id()
                + (winner == null
                    ? ", no standby reported leader within 60 s"
                    : ", the new leader " + winner.id() + " wrote no oplog row within 60 s")
                + standbys.get(0).tail());
      }
      Thread.sleep(POLL_MS);
    }
    JsonObject json =
        new JsonObject()
            .put("signal", "SIG" + sig)
            .put("old_leader", victim.id())
            .put("new_leader", winner.id())
            .put("standbys", standbys.size())
            .put("signal_ms", BenchMain.round((signalled - t0) / 1e6, 1))
            .put("lease_age_at_signal_ms", before.ageMs())
            .put("epoch_before", before.epoch())
            .put("epoch_after", after.epoch())
            .put("lease_claimed_ms", leaseAt == 0 ? null : (leaseAt - t0) / 1_000_000)
            .put("takeover_ms", (leaderAt - t0) / 1_000_000)
            .put("writes_resumed_ms", (writesAt - t0) / 1_000_000);
    return new Takeover(json, winner);
  }

  /** The lease row and the oplog's last id, in one statement. */
  record Lease(long epoch, String node, long ageMs, long maxId) {}

  private static Lease lease(Connection pg) throws Exception {
    try (Statement st = pg.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT l.epoch, l.node_id,"
                    + " (extract(epoch FROM now() - l.renewed_at) * 1000)::bigint,"
                    + " (SELECT coalesce(max(id), 0) FROM oplog)"
                    + " FROM (SELECT 1) one LEFT JOIN leader_lease l ON true")) {
      rs.next();
      return new Lease(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4));
    }
  }

  /** Whether {@code node}'s own health says its oplog verticle is the leader. */
  private boolean leads(AppNode node) {
    JsonObject d = oplogHealth(node);
    return d != null && d.getBoolean("leader", false);
  }

  /** {@code checks[id=oplog].data.details} of the node's {@code /health/detailed}, or null. */
  private JsonObject oplogHealth(AppNode node) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + node.httpPort() + "/health/detailed"))
                  .header("Authorization", "Bearer " + ScaleStage.API_KEY)
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonArray checks = new JsonObject(r.body()).getJsonArray("checks");
      for (int i = 0; checks != null && i < checks.size(); i++) {
        JsonObject c = checks.getJsonObject(i);
        if ("oplog".equals(c.getString("id")) && c.getJsonObject("data") != null) {
          return c.getJsonObject("data").getJsonObject("details");
        }
      }
    } catch (Exception e) {
      // not answering yet (or frozen): not the leader
    }
    return null;
  }

  /** Waits until the node's health says leader (or standby, connected). */
  private void awaitRole(AppNode node, boolean leader) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonObject d = oplogHealth(node);
      if (d != null
          && d.getBoolean("leader", false) == leader
          && (leader || "standby".equals(d.getString("state")))) {
        return;
      }
      if (!node.alive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "scale: "
                + node.id()
                + " did not report "
                + (leader ? "leader" : "standby")
                + " within 60 s (last: "
                + d
                + ")"
                + node.tail());
      }
      Thread.sleep(50);
    }
  }

  /** Waits until the oplog has grown by a second's worth of writes (the writes flow). */
  private void awaitOplogGrowth(Connection pg, AppNode leader) throws Exception {
    long start = lease(pg).maxId();
    long want = Math.max(20, opts.scaleWriteRate / 2);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (lease(pg).maxId() < start + want) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "scale: the oplog did not grow by " + want + " rows within 60 s" + leader.tail());
      }
      Thread.sleep(50);
    }
  }

  /**
   * Updates source documents at a fixed rate (one batch of updates every 10 ms), each a {@code
   * $set} of a new sequence number, regardless of which node leads.
   */
  private static final class Writer {
    private final Vertx vertx;
    private final MongoClient mongo;
    private final int rate;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private long timer = -1;
    private long started;
    private double seconds;

    Writer(Vertx vertx, MongoClient mongo, int rate) {
      this.vertx = vertx;
      this.mongo = mongo;
      this.rate = rate;
    }

    void start() {
      started = System.nanoTime();
      timer =
          vertx.setPeriodic(
              10,
              id -> {
                long due = (System.nanoTime() - started) * rate / 1_000_000_000L;
                while (sent.get() < due) {
                  long s = sent.getAndIncrement();
                  mongo
                      .updateCollection(
                          COLLECTION,
                          new JsonObject().put("_id", Docs.streamDocId(s % DOCS)),
                          new JsonObject().put("$set", new JsonObject().put("seq", s)))
                      .onComplete(ar -> (ar.succeeded() ? acked : failed).incrementAndGet());
                }
              });
    }

    void stop() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
        seconds = (System.nanoTime() - started) / 1e9;
      }
    }

    JsonObject json() {
      return new JsonObject()
          .put("sent", sent.get())
          .put("acked", acked.get())
          .put("failed", failed.get())
          .put("seconds", BenchMain.round(seconds, 1));
    }
  }
}
