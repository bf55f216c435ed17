package io.emcachers.core.cluster;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.messages.NodeHeartbeat;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One node's view of the cluster, built from the {@code emc.cluster.heartbeat}s every node
 * publishes: which nodes are live (heard from within {@code stale_after_ms}), which are stale
 * (listed with {@code stale: true} until {@code forget_after_ms}), their roles, and which caches
 * each serves. Listeners run when the live set or what a live node serves or holds changes.
 * Event-loop confined: create and use it on one verticle's context.
 */
public final class ClusterView {

  /** What the view knows of one node. */
  public record Member(NodeHeartbeat heartbeat, long ageMs, boolean stale) {

    public String node() {
      return heartbeat.node();
    }

    public JsonObject toJson() {
      JsonObject hb = heartbeat.toJson();
      hb.remove("seq");
      return hb.put("age_ms", ageMs).put("stale", stale);
    }
  }

  private static final class Entry {
    NodeHeartbeat heartbeat;
    long seenNanos;
    boolean stale;
  }

  private final Vertx vertx;
  private final MembershipConfig config;
  private final Map<String, Entry> nodes = new TreeMap<>();
  private final List<Runnable> listeners = new ArrayList<>();
  private final long startedNanos = System.nanoTime();
  private long timerId = -1;

  public ClusterView(Vertx vertx, MembershipConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /** Listens to heartbeats through {@code consumers} and starts the staleness sweep. */
  public ClusterView listen(ConsumerGroup consumers) {
    consumers.listen(Addresses.CLUSTER_HEARTBEAT, NodeHeartbeat.class, this::onHeartbeat);
    timerId = vertx.setPeriodic(config.heartbeatMs(), t -> sweep());
    return this;
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  /** Runs {@code listener} (on this context) after every change of the live members. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  public MembershipConfig config() {
    return config;
  }

  /** Whether the view has listened for long enough to have heard every live node once. */
  public boolean settled() {
    return ms(System.nanoTime() - startedNanos) >= config.settleMs();
  }

  void onHeartbeat(NodeHeartbeat hb) {
    if (hb == null || hb.node() == null) {
      return;
    }
    Entry e = nodes.get(hb.node());
    boolean changed;
    if (e == null) {
      e = new Entry();
      nodes.put(hb.node(), e);
      changed = true;
    } else {
      changed = e.stale || !sameMembership(e.heartbeat, hb);
    }
    e.heartbeat = hb;
    e.seenNanos = System.nanoTime();
    e.stale = false;
    if (changed) {
      fire();
    }
  }

  private static boolean sameMembership(NodeHeartbeat a, NodeHeartbeat b) {
    return a.roles().equals(b.roles())
        && Objects.equals(a.startedAt(), b.startedAt())
        && a.serving().equals(b.serving())
        && a.caches().equals(b.caches());
  }

  void sweep() {
    long now = System.nanoTime();
    boolean changed = false;
    var it = nodes.values().iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      long age = ms(now - e.seenNanos);
      if (age > config.forgetAfterMs()) {
        it.remove();
        changed = true;
      } else if (!e.stale && age > config.staleAfterMs()) {
        e.stale = true;
        changed = true;
      }
    }
    if (changed) {
      fire();
    }
  }

  private void fire() {
    for (Runnable l : List.copyOf(listeners)) {
      l.run();
    }
  }

  /** Every known node, live and stale, by node id. */
  public List<Member> members() {
    long now = System.nanoTime();
    List<Member> out = new ArrayList<>();
    nodes.values().forEach(e -> out.add(new Member(e.heartbeat, ms(now - e.seenNanos), e.stale)));
    return out;
  }

  /** The live nodes with {@code role}, sorted by node id. */
  public List<String> live(String role) {
    List<String> out = new ArrayList<>();
    nodes.forEach(
        (id, e) -> {
          if (!e.stale && e.heartbeat.hasRole(role)) {
            out.add(id);
          }
        });
    return out;
  }

  /** The live nodes that serve reads of {@code entity}, sorted by node id. */
  public List<String> serving(String entity) {
    List<String> out = new ArrayList<>();
    nodes.forEach(
        (id, e) -> {
          if (!e.stale && e.heartbeat.serving().contains(entity)) {
            out.add(id);
          }
        });
    return out;
  }

  /** The live nodes that hold a cache file of {@code entity}, sorted by node id. */
  public List<String> holding(String entity) {
    List<String> out = new ArrayList<>();
    nodes.forEach(
        (id, e) -> {
          if (!e.stale && e.heartbeat.caches().contains(entity)) {
            out.add(id);
          }
        });
    return out;
  }

  /** The latest heartbeat of a live node, or null. */
  public NodeHeartbeat liveHeartbeat(String node) {
    Entry e = nodes.get(node);
    return e == null || e.stale ? null : e.heartbeat;
  }

  public JsonArray toJson() {
    JsonArray out = new JsonArray();
    members().forEach(m -> out.add(m.toJson()));
    return out;
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
