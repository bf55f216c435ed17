package io.emcachers.launcher.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The dashboard's data contract ({@code webroot/dashboard/contract.js} of the API jar, the JSON
 * between its markers) and the check of a real response against an entry's field paths: {@code a.b}
 * a key, {@code a[]} every element of a non-empty array, {@code a.*} every value of a non-empty
 * object, a trailing {@code ?} a field that may be absent. A key whose value is null exists; a path
 * that goes on through a null does not.
 */
final class DashboardContract {

  static final String RESOURCE = "webroot/dashboard/contract.js";

  private DashboardContract() {}

  static JsonObject load() {
    try (InputStream in = DashboardContract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      String js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int begin = js.indexOf("/* contract:begin */");
      int end = js.indexOf("/* contract:end */");
      return new JsonObject(js.substring(begin + "/* contract:begin */".length(), end));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> fields(JsonObject entry) {
    List<String> out = new ArrayList<>();
    entry.getJsonArray("fields").forEach(f -> out.add((String) f));
    return out;
  }

  /** The fields of {@code paths} that {@code value} does not have, each with where it stopped. */
  static List<String> missing(Object value, List<String> paths) {
    List<String> out = new ArrayList<>();
    for (String path : paths) {
      boolean optional = path.endsWith("?");
      String p = optional ? path.substring(0, path.length() - 1) : path;
      String why = check(value, Arrays.asList(p.split("\\.")), "");
      if (why != null && !optional) {
        out.add(path + " (" + why + ")");
      }
    }
    return out;
  }

  private static String check(Object value, List<String> segments, String at) {
    if (segments.isEmpty()) {
      return null;
    }
    String seg = segments.get(0);
    List<String> rest = segments.subList(1, segments.size());
    if (!(value instanceof JsonObject obj)) {
      return "no object at '" + at + "'";
    }
    if (seg.equals("*")) {
      if (obj.isEmpty()) {
        return "empty object at '" + at + "'";
      }
      for (String k : obj.fieldNames()) {
        String why = check(obj.getValue(k), rest, at + "." + k);
        if (why != null) {
          return why;
        }
      }
      return null;
    }
    boolean array = seg.endsWith("[]");
    String key = array ? seg.substring(0, seg.length() - 2) : seg;
    String here = at.isEmpty() ? key : at + "." + key;
    if (!obj.containsKey(key)) {
      return "no '" + here + "'";
    }
    Object child = obj.getValue(key);
    if (array) {
      if (!(child instanceof JsonArray arr) || arr.isEmpty()) {
        return "'" + here + "' is no non-empty array";
      }
      for (int i = 0; i < arr.size(); i++) {
        String why = check(arr.getValue(i), rest, here + "[" + i + "]");
        if (why != null) {
          return why;
        }
      }
      return null;
    }
    return rest.isEmpty() ? null : check(child, rest, here);
  }
}
