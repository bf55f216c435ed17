package io.emcachers.replicator.partition;

import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which entities this replicator node holds in {@code partitioned} mode ({@code replica} mode: all
 * of them). The holders of an entity are {@code replicas} of the live replicator nodes, by {@link
 * Rendezvous} hashing over the {@link ClusterView} (this node always counts as live).
 *
 * <ul>
 *   <li><b>Assigned</b> entities are applied; a newly assigned one is built from the oplog first
 *       (its read address appears once it is caught up, by the cache-db manager's rule).
 *   <li><b>Retained</b> entities are no longer assigned (or were found on disk at start) but are
 *       still applied and served until every assigned holder serves a caught-up cache of them; then
 *       they are <b>released</b>: the loop drops the file between two passes ({@link
 *       #takeReleases}), so no apply of a released entity is in flight.
 *   <li>Until the view has settled (heard every live node once) nothing is gained: a starting node
 *       does not build every entity because it has not heard the others yet.
 * </ul>
 *
 * Event-loop confined (the replicator verticle's context).
 */
public final class Partitioner {

  private static final Logger LOG = LoggerFactory.getLogger(Partitioner.class);
  public static final String ROLE = "replicator";

  private final String self;
  private final boolean partitioned;
  private final int replicas;
  private final ClusterView view;
  private final StatusPublisher status;
  private final Consumer<String> gained;
  private final Set<String> assigned = new TreeSet<>();
  private final Set<String> retained = new TreeSet<>();
  private final Set<String> releases = new TreeSet<>();

  /**
   * @param gained called for each entity this node newly holds (start its build)
   */
  public Partitioner(
      String self,
      boolean partitioned,
      int replicas,
      ClusterView view,
      StatusPublisher status,
      Consumer<String> gained) {
    this.self = self;
    this.partitioned = partitioned;
    this.replicas = replicas;
    this.view = view;
    this.status = status;
    this.gained = gained;
  }

  public boolean partitioned() {
    return partitioned;
  }

  /** Whether this node applies and serves {@code entity} now. */
  public boolean holds(String entity) {
    return !partitioned || assigned.contains(entity) || retained.contains(entity);
  }

  /** Caches found on disk at start are retained until their assigned holders serve them. */
  public void existing(Collection<String> caches) {
    if (partitioned) {
      retained.addAll(caches);
    }
  }

  /** The live replicator nodes, this one included. */
  public List<String> members() {
    Set<String> live = new TreeSet<>(view.live(ROLE));
    live.add(self);
    return new ArrayList<>(live);
  }

  /**
   * Recomputes the assignment for the live entities {@code entities}: new gains are announced,
   * losses become retained, and retained entities whose assigned holders all serve them are queued
   * for release.
   */
  public void reassess(Collection<String> entities) {
    if (!partitioned) {
      return;
    }
    retained.retainAll(entities); // a deleted entity's cache goes by the entity's own rules
    assigned.retainAll(entities);
    if (!view.settled()) {
      return;
    }
    List<String> members = members();
    for (String e : entities) {
      List<String> holders = Rendezvous.holders(e, members, replicas);
      boolean mine = holders.contains(self);
      if (mine && assigned.add(e)) {
        boolean had = retained.remove(e);
        releases.remove(e);
        LOG.info(
            "replicator {}: holds {} (holders {}){}",
            self,
            e,
            holders,
            had ? ", kept its cache" : ", building it");
        status.progress(e, "assigned", new JsonObject().put("holders", new JsonArray(holders)));
        if (!had) {
          gained.accept(e);
        }
      } else if (!mine && assigned.remove(e)) {
        retained.add(e);
        LOG.info(
            "replicator {}: no longer holds {} (holders {}); serving it until they do",
            self,
            e,
            holders);
      }
      if (!mine && retained.contains(e) && !releases.contains(e)) {
        List<String> serving = view.serving(e);
        if (serving.containsAll(holders)) {
          releases.add(e);
        }
      }
    }
  }

  public boolean hasReleases() {
    return !releases.isEmpty();
  }

  /**
   * The entities to release now (their caches are dropped by the caller, between passes); they are
   * no longer held from here on.
   */
  public List<String> takeReleases() {
    List<String> out = new ArrayList<>();
    for (String e : releases) {
      if (retained.remove(e)) {
        out.add(e);
        LOG.info(
            "replicator {}: released {}: its holders {} serve it; dropping the local cache",
            self,
            e,
            view.serving(e));
        status.progress(e, "released", new JsonObject().put("serving", view.serving(e)));
      }
    }
    releases.clear();
    return out;
  }

  /** {@code emc.replicator.stats} / heartbeat part: mode, members, assigned and retained. */
  public JsonObject toJson() {
    JsonObject out = new JsonObject().put("mode", partitioned ? "partitioned" : "replica");
    if (partitioned) {
      out.put("replicas", replicas)
          .put("settled", view.settled())
          .put("members", new JsonArray(members()))
          .put("assigned", new JsonArray(new ArrayList<>(assigned)))
          .put("retained", new JsonArray(new ArrayList<>(retained)));
    }
    return out;
  }
}
