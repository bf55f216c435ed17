package io.emcachers.core.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bson.BsonDocument;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The filter evaluator against a fixed set of documents: each case lists which documents match, as
 * MongoDB would answer the same query.
 */
class FilterExprTest {

  static final List<BsonDocument> DOCS =
      Stream.of(
              "{_id: 'a', status: 'open', age: 30, tags: ['x', 'y'], addr: {city: 'Oslo', zip: 1}}",
              "{_id: 'b', status: 'closed', age: {$numberLong: '41'}, tags: ['y'], addr: {city: 'Rome'}}",
              "{_id: 'c', status: 'open', age: 30.0, tags: [], items: [{sku: 1, qty: 2}, {sku: 2}]}",
              "{_id: 'd', status: null, age: '30', items: [{sku: 3, qty: 1}]}",
              "{_id: 'e', age: {$numberDecimal: '29.5'}, nested: [[1, 2], 3]}",
              "{_id: 'f', status: 'OPEN', age: NaN, when: {$date: '2024-01-02T00:00:00Z'}}")
          .map(BsonDocument::parse)
          .toList();

  static String matching(String filter) {
    FilterExpr f = FilterParser.parse(new JsonObject(filter), "shape.filter");
    return DOCS.stream()
        .filter(f::matches)
        .map(d -> d.getString("_id").getValue())
        .collect(Collectors.joining());
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("{}", "abcdef"),
        Arguments.of("{\"status\": \"open\"}", "ac"),
        Arguments.of("{\"status\": {\"$eq\": \"open\"}}", "ac"),
        Arguments.of("{\"status\": {\"$ne\": \"open\"}}", "bdef"),
        Arguments.of("{\"status\": null}", "de"),
        Arguments.of("{\"status\": {\"$ne\": null}}", "abcf"),
        Arguments.of("{\"status\": {\"$exists\": true}}", "abcdf"),
        Arguments.of("{\"status\": {\"$exists\": false}}", "e"),
        Arguments.of("{\"status\": {\"$in\": [\"closed\", null]}}", "bde"),
        Arguments.of("{\"status\": {\"$nin\": [\"closed\", null]}}", "acf"),
        // numbers by value across int/long/double/decimal; strings never compare with numbers
        Arguments.of("{\"age\": 30}", "ac"),
        Arguments.of("{\"age\": {\"$numberLong\": \"41\"}}", "b"),
        Arguments.of("{\"age\": 41.0}", "b"),
        Arguments.of("{\"age\": {\"$gt\": 29.5}}", "abc"),
        Arguments.of("{\"age\": {\"$gte\": {\"$numberDecimal\": \"29.5\"}}}", "abce"),
        Arguments.of("{\"age\": {\"$lt\": 30}}", "e"),
        Arguments.of("{\"age\": {\"$lte\": 30, \"$gt\": 29}}", "ace"),
        Arguments.of("{\"age\": {\"$gt\": \"\"}}", "d"),
        Arguments.of("{\"age\": {\"$not\": {\"$gt\": 29.5}}}", "def"),
        Arguments.of("{\"age\": {\"$gte\": {\"$minKey\": 1}}}", "abcdef"),
        // NaN equals NaN only
        Arguments.of("{\"age\": {\"$numberDouble\": \"NaN\"}}", "f"),
        Arguments.of("{\"age\": {\"$lt\": 100}}", "abce"),
        // arrays: an element or the whole array
        Arguments.of("{\"tags\": \"y\"}", "ab"),
        Arguments.of("{\"tags\": [\"y\"]}", "b"),
        Arguments.of("{\"tags\": []}", "c"),
        Arguments.of("{\"tags\": {\"$ne\": \"x\"}}", "bcdef"),
        Arguments.of("{\"tags.0\": \"x\"}", "a"),
        Arguments.of("{\"tags\": {\"$in\": [\"x\", \"z\"]}}", "a"),
        Arguments.of("{\"nested\": 1}", ""),
        Arguments.of("{\"nested\": [1, 2]}", "e"),
        // dotted paths, also through arrays of documents
        Arguments.of("{\"addr.city\": \"Rome\"}", "b"),
        Arguments.of("{\"addr.zip\": {\"$exists\": true}}", "a"),
        Arguments.of("{\"items.sku\": 2}", "c"),
        Arguments.of("{\"items.qty\": null}", "abcef"),
        Arguments.of("{\"items.qty\": {\"$gte\": 2}}", "c"),
        Arguments.of("{\"items.1.sku\": 2}", "c"),
        Arguments.of("{\"when\": {\"$gt\": {\"$date\": \"2024-01-01T00:00:00Z\"}}}", "f"),
        Arguments.of("{\"when\": {\"$gt\": 0}}", ""),
        // logical
        Arguments.of("{\"$or\": [{\"status\": \"closed\"}, {\"age\": {\"$lt\": 30}}]}", "be"),
        Arguments.of(
            "{\"$and\": [{\"status\": \"open\"}, {\"age\": {\"$type\": 1}}]}"
                .replace("{\"$type\": 1}", "30.0"),
            "ac"),
        Arguments.of("{\"status\": \"open\", \"tags\": \"x\"}", "a"),
        Arguments.of(
            "{\"$or\": [{\"$and\": [{\"status\": \"open\"}, {\"tags\": []}]}, {\"status\": {\"$exists\": false}}]}",
            "ce"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cases")
  void matchesLikeMongoDb(String filter, String expected) {
    assertEquals(expected, matching(filter), filter);
  }
}
