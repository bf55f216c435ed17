package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Polls {@code pg_stat_activity} every {@link #POLL_MS} ms for PostgreSQL's autovacuum workers, in
 * every database of the server, while a timed window runs: a worker vacuums a big table of an
 * earlier stage beside the window, and exits when done, so the CPU meter can only show its time as
 * "other". Records how many polls saw one, the most at once, and what they worked on.
 */
final class AutovacuumWatch implements AutoCloseable {

  static final long POLL_MS = 200;

  private final Thread thread;
  private final Set<String> seen = new LinkedHashSet<>();
  private volatile boolean stop;
  private int polls;
  private int pollsWithWorker;
  private int mostAtOnce;
  private String error;

  AutovacuumWatch(String jdbc) {
    thread = new Thread(() -> poll(jdbc), "bench-autovacuum-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void poll(String jdbc) {
    try (Connection c = DriverManager.getConnection(jdbc);
        Statement st = c.createStatement()) {
      while (!stop) {
        int now = 0;
        try (ResultSet rs =
            st.executeQuery(
                "SELECT datname, query FROM pg_stat_activity"
                    + " WHERE backend_type = 'autovacuum worker'")) {
          while (rs.next()) {
            now++;
            synchronized (this) {
              if (seen.size() < 20) {
                seen.add(rs.getString(1) + ": " + rs.getString(2));
              }
            }
          }
        }
        synchronized (this) {
          polls++;
          pollsWithWorker += now > 0 ? 1 : 0;
          mostAtOnce = Math.max(mostAtOnce, now);
        }
        Thread.sleep(POLL_MS);
      }
    } catch (SQLException e) {
      synchronized (this) {
        error = e.toString();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(5_000);
  }

  synchronized JsonObject toJson() {
    return new JsonObject()
        .put("polls", polls)
        .put("polls_with_a_worker", pollsWithWorker)
        .put("most_at_once", mostAtOnce)
        .put("worked_on", new JsonArray(new java.util.ArrayList<>(seen)))
        .put("error", error);
  }
}
