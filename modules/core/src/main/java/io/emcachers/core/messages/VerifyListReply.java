package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Reply to {@code emc.verify.list}: runs newest first. */
public record VerifyListReply(List<VerifyJob> jobs) implements BusMessage {

  public VerifyListReply {
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    jobs.forEach(j -> arr.add(j.toJson()));
    return new JsonObject().put("jobs", arr);
  }

  public static VerifyListReply fromJson(JsonObject json) {
    return new VerifyListReply(
        json.getJsonArray("jobs", new JsonArray()).stream()
            .map(o -> VerifyJob.fromJson((JsonObject) o))
            .toList());
  }
}
