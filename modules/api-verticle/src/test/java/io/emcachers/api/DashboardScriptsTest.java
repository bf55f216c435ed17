package io.emcachers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.api.auth.ApiKeyAuthHandler;
import io.emcachers.api.routes.DashboardRoutes;
import io.emcachers.api.routes.DocsRoutes;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The dashboard's scripts against their data contract ({@code webroot/dashboard/contract.js}): the
 * scripts name no API path of their own and read no snake_case field the contract does not list,
 * every contract entry is an operation of openapi.yaml, and every asset the page or a module loads
 * exists. The fields themselves are checked against a running node by the launcher's {@code
 * DashboardContractIT}.
 */
class DashboardScriptsTest {

  static final List<String> SCRIPTS = List.of("app.js", "api.js", "chart.js", "editor.js");

  /** Keys of the contract's own entries (not response fields). */
  static final Set<String> CONTRACT_KEYS =
      Set.of(
          "method",
          "path",
          "auth",
          "accept",
          "fields",
          "sql",
          "protocol",
          "key_prefix",
          "events",
          "match",
          "about");

  static String resource(String name) {
    try (InputStream in = DashboardScriptsTest.class.getClassLoader().getResourceAsStream(name)) {
      assertNotNull(in, name + " is not on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static String asset(String name) {
    return resource(DashboardRoutes.WEBROOT + DashboardRoutes.ASSETS + name);
  }

  /** The JSON between the contract's markers. */
  static JsonObject contract() {
    String js = asset("contract.js");
    int begin = js.indexOf("/* contract:begin */");
    int end = js.indexOf("/* contract:end */");
    assertTrue(begin > 0 && end > begin, "contract.js has its markers");
    return new JsonObject(js.substring(begin + "/* contract:begin */".length(), end));
  }

  /** Every name a field path of the contract is made of. */
  static Set<String> vocabulary(JsonObject contract) {
    Set<String> words = new TreeSet<>(CONTRACT_KEYS);
    List<String> fields = new ArrayList<>();
    for (String name : contract.fieldNames()) {
      JsonObject entry = contract.getJsonObject(name);
      if (entry.containsKey("fields")) {
        entry.getJsonArray("fields").forEach(f -> fields.add((String) f));
      }
      JsonObject events = entry.getJsonObject("events");
      if (events != null) {
        for (String kind : events.fieldNames()) {
          events.getJsonObject(kind).getJsonArray("fields").forEach(f -> fields.add((String) f));
          words.addAll(events.getJsonObject(kind).getJsonObject("match").fieldNames());
        }
      }
    }
    for (String f : fields) {
      for (String part : f.replace("?", "").replace("[]", "").split("\\.")) {
        if (!part.equals("*")) {
          words.add(part);
        }
      }
    }
    return words;
  }

  @Test
  void theFeedEntryNamesTheServersSubprotocols() {
    JsonObject feed = contract().getJsonObject("feed");
    assertEquals(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL, feed.getString("protocol"));
    assertEquals(ApiKeyAuthHandler.WEBSOCKET_KEY_PREFIX, feed.getString("key_prefix"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyContractEntryIsADocumentedOperation() {
    Map<String, Object> doc =
        new Yaml().load(new String(DocsRoutes.load(), StandardCharsets.UTF_8));
    Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
    JsonObject contract = contract();
    int checked = 0;
    for (String name : contract.fieldNames()) {
      JsonObject entry = contract.getJsonObject(name);
      String path = entry.getString("path");
      if (path == null) {
        continue; // the error shape
      }
      String method = entry.getString("method").equals("WS") ? "get" : entry.getString("method");
      Map<String, Object> item = (Map<String, Object>) paths.get(path);
      assertNotNull(item, name + ": " + path + " is not in openapi.yaml");
      assertTrue(
          item.containsKey(method.toLowerCase(Locale.ROOT)),
          name + ": " + method + " " + path + " is not in openapi.yaml");
      assertTrue(Set.of("open", "read", "write").contains(entry.getString("auth")), name + " auth");
      checked++;
    }
    assertTrue(checked >= 12, "entries checked: " + checked);
  }

  static final Pattern API_PATH_LITERAL =
      Pattern.compile("['\"`]/(?:api|health|ws|metrics|eventbus|openapi)\\b");

  static final Pattern SNAKE_FIELD = Pattern.compile("\\.([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\\b");

  static final Pattern CONTRACT_USE =
      Pattern.compile("(?:call\\(\\s*'([a-z_]+)'|CONTRACT\\.([a-z_]+))");

  @Test
  void theScriptsUseOnlyTheContractsPathsAndFields() {
    JsonObject contract = contract();
    Set<String> words = vocabulary(contract);
    int fieldReads = 0;
    for (String script : SCRIPTS) {
      String js = asset(script);
      Matcher literal = API_PATH_LITERAL.matcher(js);
      assertFalse(
          literal.find(),
          () ->
              script
                  + " names an API path itself: "
                  + js.substring(literal.start()).lines().findFirst().orElse(""));
      Matcher field = SNAKE_FIELD.matcher(js);
      while (field.find()) {
        assertTrue(
            words.contains(field.group(1)),
            script + " reads ." + field.group(1) + ", which contract.js does not list");
        fieldReads++;
      }
      Matcher use = CONTRACT_USE.matcher(js);
      while (use.find()) {
        String entry = use.group(1) != null ? use.group(1) : use.group(2);
        assertTrue(contract.containsKey(entry), script + " uses contract entry " + entry);
      }
    }
    assertTrue(fieldReads > 20, "snake_case field reads found: " + fieldReads);
  }

  static final Pattern LOADS =
      Pattern.compile(
          "(?:from\\s+'\\./([a-z-]+\\.js)'|(?:src|href)=\"dashboard/([a-z-]+\\.(?:js|css))\")");

  @Test
  void everyAssetThePageLoadsExists() {
    List<String> loaded = new ArrayList<>();
    List<String> sources = new ArrayList<>(List.of(resource(DashboardRoutes.INDEX)));
    for (String script : SCRIPTS) {
      sources.add(asset(script));
    }
    for (String source : sources) {
      Matcher m = LOADS.matcher(source);
      while (m.find()) {
        loaded.add(m.group(1) != null ? m.group(1) : m.group(2));
      }
    }
    assertTrue(loaded.containsAll(List.of("app.js", "style.css", "contract.js", "api.js")));
    for (String name : loaded) {
      assertFalse(asset(name).isEmpty(), name);
    }
  }
}
