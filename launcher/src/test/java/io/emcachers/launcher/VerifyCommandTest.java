package io.emcachers.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The verify command's exit codes, and a clear error when no API answers. */
class VerifyCommandTest {

  static JsonObject job(String state, boolean repair, JsonObject counts) {
    return new JsonObject().put("state", state).put("repair", repair).put("counts", counts);
  }

  @Test
  void exitCodeSaysWhetherTheCacheEqualsItsSource() {
    JsonObject none = new JsonObject().put("missing", 0).put("extra", 0).put("different", 0);
    JsonObject found = new JsonObject().put("missing", 2).put("extra", 1).put("different", 0);
    JsonObject repaired = found.copy().put("repaired_oplog", 2).put("repaired_local", 1);
    assertEquals(0, VerifyCommand.exitCode(job("finished", false, none)));
    assertEquals(1, VerifyCommand.exitCode(job("finished", false, found)), "dry run with drift");
    assertEquals(0, VerifyCommand.exitCode(job("finished", true, repaired)));
    assertEquals(
        1,
        VerifyCommand.exitCode(job("finished", true, repaired.copy().put("repair_failed", 1))),
        "a repair failed");
    assertEquals(2, VerifyCommand.exitCode(job("failed", true, none)));
    assertEquals(2, VerifyCommand.exitCode(job("stopped", false, none)));
  }

  @Test
  void anUnreachableApiIsAClearErrorAndExitCode2() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("verify", "--entity", "items", "--api", "http://127.0.0.1:1");
    assertEquals(2, code);
    assertTrue(
        err.toString().contains("cannot reach the API at http://127.0.0.1:1"), err.toString());
  }
}
