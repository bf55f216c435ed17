package io.emcachers.verify;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The progress files {@code {data_dir}/verify/{entity}.json}, one per entity (its latest run).
 * Writes go to a temporary file that is forced to disk and renamed over the old one, so a crash
 * leaves either the previous or the new progress, never a torn file. Blocking work runs on a worker
 * thread.
 */
final class ProgressStore {

  private static final Logger LOG = LoggerFactory.getLogger(ProgressStore.class);

  private final Vertx vertx;
  private final Path dir;

  ProgressStore(Vertx vertx, Path dir) {
    this.vertx = vertx;
    this.dir = dir;
  }

  Path file(String entity) {
    return dir.resolve(entity + ".json");
  }

  Future<Void> save(JsonObject progress, String entity) {
    byte[] bytes = progress.encode().getBytes(StandardCharsets.UTF_8);
    return vertx.executeBlocking(
        () -> {
          write(file(entity), bytes);
          return null;
        },
        true);
  }

  /** Every stored progress (files that do not parse are logged and skipped). */
  Future<List<JsonObject>> loadAll() {
    return vertx.executeBlocking(
        () -> {
          List<JsonObject> out = new ArrayList<>();
          if (!Files.isDirectory(dir)) {
            return out;
          }
          try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
              try {
                out.add(new JsonObject(Files.readString(f, StandardCharsets.UTF_8)));
              } catch (RuntimeException | IOException e) {
                LOG.warn("verify: ignoring unreadable progress file {}: {}", f, e.toString());
              }
            }
          }
          return out;
        });
  }

  static void write(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (var ch =
        java.nio.channels.FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes));
      ch.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
