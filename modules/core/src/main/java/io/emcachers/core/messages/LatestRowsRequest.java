package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code emc.oplog.latest}: the latest oplog row (highest id) of each of {@code docIds} of {@code
 * entity}. Meant for the few documents a verification found differing (the oplog has no doc-id
 * index: the read walks the entity's rows); at most 1000 doc ids.
 */
public record LatestRowsRequest(String entity, List<String> docIds) implements BusMessage {

  public LatestRowsRequest {
    docIds = docIds == null ? null : Collections.unmodifiableList(new ArrayList<>(docIds));
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entity)
        .put("doc_ids", docIds == null ? null : new JsonArray(docIds));
  }

  public static LatestRowsRequest fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("doc_ids");
    return new LatestRowsRequest(
        json.getString("entity"),
        arr == null ? null : arr.stream().map(o -> o == null ? null : String.valueOf(o)).toList());
  }
}
