package io.starfish.persistence.embedded.internal;

import io.starfish.persistence.embedded.CassandraStartException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A forked Cassandra JVM. Its standard input is a pipe held open here: when this JVM dies, the pipe
 * closes and the child exits too (see {@link CassandraMain}).
 */
public final class CassandraProcess {

  private final Process process;
  // Held open on purpose: the child exits when this pipe closes.
  private final OutputStream lifeline;

  private CassandraProcess(Process process) {
    this.process = process;
    this.lifeline = process.getOutputStream();
  }

  /** Starts {@code command} in {@code dir}, output to {@code logFile}, and records its pid. */
  /** The JVM process (for callers that act when it exits). */
  public Process process() {
    return process;
  }

  public static CassandraProcess launch(List<String> command, Path dir, Path logFile) {
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
      PidFile.write(dir, process.pid());
      return new CassandraProcess(process);
    } catch (IOException e) {
      throw new CassandraStartException("cannot start the Cassandra JVM: " + e, e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public int exitValue() {
    return process.exitValue();
  }

  /**
   * SIGTERM (Cassandra flushes memtables and closes the commit log), then SIGKILL if it has not
   * exited within {@code timeout}, after telling {@code onTimeout}. Returns once it is gone.
   */
  public void stop(Duration timeout, Runnable onTimeout) {
    process.destroy();
    if (!awaitExit(timeout)) {
      onTimeout.run();
      kill();
    }
    try {
      lifeline.close();
    } catch (IOException ignored) {
      // The child is gone; nothing is left to signal.
    }
  }

  /** SIGKILL, and up to 10 s for the process to be gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  private boolean awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
