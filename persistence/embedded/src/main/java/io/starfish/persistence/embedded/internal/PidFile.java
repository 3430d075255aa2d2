package io.starfish.persistence.embedded.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * {@code cassandra.pid} in a node's folder: written at each start, so that the next start on the
 * same folder can stop a Cassandra whose parent was killed before it could stop it.
 */
public final class PidFile {

  private static final String NAME = "cassandra.pid";

  private PidFile() {}

  public static void write(Path dir, long pid) throws IOException {
    Files.writeString(dir.resolve(NAME), Long.toString(pid));
  }

  /** Stops the Cassandra of an earlier run on {@code dir}, if it still runs, and forgets it. */
  public static void stopLeftOverFromEarlierRun(Path dir, Consumer<String> progress) {
    Path pidFile = dir.resolve(NAME);
    if (!Files.exists(pidFile)) {
      return;
    }
    try {
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      Optional<ProcessHandle> handle = ProcessHandle.of(pid);
      // The pid may have been reused since: only a CassandraMain on this folder is ours.
      boolean ours =
          handle
              .flatMap(h -> h.info().arguments())
              .map(args -> String.join(" ", args))
              .filter(
                  line ->
                      line.contains(CassandraMain.class.getName()) && line.contains(dir.toString()))
              .isPresent();
      if (ours) {
        ProcessHandle h = handle.get();
        progress.accept("stopping a Cassandra left over from an earlier run (pid " + pid + ")");
        h.destroy();
        try {
          h.onExit().get(60, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
          h.destroyForcibly();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Files.deleteIfExists(pidFile);
    } catch (IOException | NumberFormatException e) {
      progress.accept("ignoring unreadable " + pidFile + ": " + e.getMessage());
    }
  }
}
