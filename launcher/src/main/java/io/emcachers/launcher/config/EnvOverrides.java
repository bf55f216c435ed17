package io.emcachers.launcher.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Maps environment variables {@code EMC_SECTION_KEY=value} onto the config tree: {@code
 * EMC_API_KEY} → {@code api.key}, {@code EMC_LISTENER_BATCH_MAX_ENTRIES} → {@code
 * listener.batch_max_entries}, {@code EMC_DATA_DIR} → {@code data_dir} (no section of that name, so
 * a top-level key). The section is the longest prefix that names an object section of the defaults.
 * {@code EMC_PG_URL} is an alias of {@code EMC_POSTGRES_URL}. Values are typed like the default
 * they replace (numbers, booleans, JSON arrays); otherwise they stay strings.
 */
public final class EnvOverrides {

  public static final String PREFIX = "EMC_";

  private EnvOverrides() {}

  public static JsonObject from(Map<String, String> env, JsonObject defaults) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(PREFIX) || name.length() == PREFIX.length()) {
        continue;
      }
      String rest = name.substring(PREFIX.length()).toLowerCase();
      if (rest.equals("pg_url")) {
        rest = "postgres_url";
      }
      String section = null;
      for (String candidate : defaults.fieldNames()) {
        if (defaults.getValue(candidate) instanceof JsonObject
            && rest.startsWith(candidate + "_")
            && (section == null || candidate.length() > section.length())) {
          section = candidate;
        }
      }
      if (section == null) {
        out.put(rest, typed(e.getValue(), defaults.getValue(rest)));
      } else {
        String key = rest.substring(section.length() + 1);
        JsonObject target = out.getJsonObject(section);
        if (target == null) {
          target = new JsonObject();
          out.put(section, target);
        }
        target.put(key, typed(e.getValue(), defaults.getJsonObject(section).getValue(key)));
      }
    }
    return out;
  }

  static Object typed(String value, Object like) {
    String v = value.trim();
    try {
      if (like instanceof Boolean) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
          return Boolean.parseBoolean(v);
        }
        return value;
      }
      if (like instanceof Integer || like instanceof Long) {
        return Long.parseLong(v);
      }
      if (like instanceof Number) {
        return Double.parseDouble(v);
      }
      if (like instanceof JsonArray) {
        return v.startsWith("[")
            ? new JsonArray(v)
            : new JsonArray(java.util.Arrays.asList((Object[]) v.split("\\s*,\\s*")));
      }
    } catch (RuntimeException e) {
      return value; // left as text: the verticle's config validation reports it precisely
    }
    return value;
  }
}
