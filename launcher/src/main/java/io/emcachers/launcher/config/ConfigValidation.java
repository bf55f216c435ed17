package io.emcachers.launcher.config;

import io.emcachers.api.ApiConfig;
import io.emcachers.cache.CacheConfig;
import io.emcachers.core.cluster.MembershipConfig;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.oplog.OplogConfig;
import io.emcachers.replicator.ReplicatorConfig;
import io.vertx.core.json.JsonObject;

/**
 * Validates the root config before anything starts, through each role's own config record, so a bad
 * value stops the launch with the record's precise message and a non-zero exit.
 */
public final class ConfigValidation {

  private ConfigValidation() {}

  public static void validate(JsonObject root, LaunchConfig launch) {
    try {
      MembershipConfig.fromJson(root);
      if (launch.has("oplog")) {
        OplogConfig.fromJson(root);
      }
      if (launch.has("listener")) {
        ListenerConfig listener = ListenerConfig.fromJson(root);
        if (launch.has("oplog")) {
          // a larger batch would be refused BAD_REQUEST on every retry, stalling its stream for
          // good
          int oplogMax = OplogConfig.fromJson(root).maxBatchEntries();
          if (listener.batchMaxEntries() > oplogMax) {
            throw new IllegalArgumentException(
                "listener.batch_max_entries ("
                    + listener.batchMaxEntries()
                    + ") must be <= oplog.max_batch_entries ("
                    + oplogMax
                    + ")");
          }
        }
      }
      if (launch.has("replicator")) {
        ReplicatorConfig.fromJson(root);
        CacheConfig.fromJson(root);
      }
      if (launch.has("api")) {
        ApiConfig.fromJson(root);
      }
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      // e.g. a ClassCastException from a value of the wrong JSON type
      throw new IllegalArgumentException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
  }
}
