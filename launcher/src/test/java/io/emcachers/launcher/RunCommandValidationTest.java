package io.emcachers.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad configuration stops {@code run} before anything starts, with a precise message and exit
 * status 2.
 */
class RunCommandValidationTest {

  @TempDir Path dir;

  private String runExpectingExit2(String... args) {
    PrintStream originalErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(2, Main.execute(args));
    } finally {
      System.setErr(originalErr);
    }
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anInvalidSectionValueIsReportedByItsKey() throws Exception {
    Path cfg = dir.resolve("bad.json");
    Files.writeString(cfg, "{\"listener\": {\"batch_max_entries\": 0}}");
    String err =
        runExpectingExit2(
            "run", "--config", cfg.toString(), "--data-dir", dir.resolve("d").toString());
    assertTrue(err.contains("invalid configuration") && err.contains("batch_max_entries"), err);
  }

  @Test
  void listenerBatchesLargerThanTheOplogAcceptsAreRejected() throws Exception {
    // such batches would fail BAD_REQUEST on every retry: refuse the configuration instead
    Path cfg = dir.resolve("batches.json");
    Files.writeString(
        cfg,
        "{\"listener\": {\"batch_max_entries\": 2000}, \"oplog\": {\"max_batch_entries\": 1000}}");
    String err =
        runExpectingExit2(
            "run", "--config", cfg.toString(), "--data-dir", dir.resolve("d").toString());
    assertTrue(
        err.contains("listener.batch_max_entries (2000) must be <= oplog.max_batch_entries (1000)"),
        err);
  }

  @Test
  void aMalformedUrlIsRejected() {
    String err =
        runExpectingExit2(
            "run", "--pg-url", "mysql://nope", "--data-dir", dir.resolve("d").toString());
    assertTrue(err.contains("invalid configuration") && err.contains("postgres"), err);
  }

  @Test
  void unknownRolesAndMissingFilesAreRejected() throws Exception {
    Path cfg = dir.resolve("roles.json");
    Files.writeString(cfg, "{\"roles\": [\"api\", \"writer\"]}");
    assertTrue(
        runExpectingExit2("run", "--config", cfg.toString()).contains("unknown role 'writer'"));
    assertTrue(
        runExpectingExit2("run", "--config", dir.resolve("missing.json").toString())
            .contains("not found"));
    Path entities = dir.resolve("entities.json");
    Files.writeString(entities, "{\"name\": \"not an array\"}");
    assertTrue(
        runExpectingExit2(
                "run", "--entities", entities.toString(), "--data-dir", dir.resolve("d").toString())
            .contains("expected a JSON array"));
  }
}
