package io.emcachers.launcher.config;

import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;

/**
 * Validates the root config before anything starts, through each role's own config record, so a
 * bad value stops the launch with the record's precise message and a non-zero exit.
 */
public final class ConfigValidation {

  private ConfigValidation() {}

  /** role → config record classes whose {@code fromJson(JsonObject root)} validates that role's sections. */
  static final Map<String, String[]> RECORDS = Map.of(
      "oplog", new String[] {"io.emcachers.oplog.OplogConfig"},
      "listener", new String[] {"io.emcachers.listener.ListenerConfig"},
      "replicator", new String[] {"io.emcachers.replicator.ReplicatorConfig", "io.emcachers.cache.CacheConfig"},
      "api", new String[] {"io.emcachers.api.ApiConfig"});

  public static void validate(JsonObject root, LaunchConfig launch) {
    for (String role : launch.roles()) {
      for (String cls : RECORDS.get(role)) {
        try {
          Class.forName(cls).getMethod("fromJson", JsonObject.class).invoke(null, root);
        } catch (InvocationTargetException e) {
          Throwable cause = e.getCause();
          throw new IllegalArgumentException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("config record " + cls + " is missing from this build", e);
        }
      }
    }
  }
}
