package io.starfish.persistence.embedded.internal;

import io.starfish.persistence.embedded.CassandraStartException;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a starting Cassandra answers on its CQL port, reporting progress every 3 s, and fails
 * with the cause (the process exited, with the log's tail; or the start-up timeout passed).
 */
public final class CqlPortWait {

  private static final long POLL_MILLIS = 200;
  private static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(3);

  private CqlPortWait() {}

  /**
   * A plain loop, not Awaitility: this is main code (Awaitility is a test library), and every round
   * also checks that the process is alive and may report progress.
   */
  public static void await(
      CassandraProcess process, EmbeddedCassandra.Settings settings, Path logFile, long startedAt) {
    long deadline = startedAt + settings.startupTimeout().toNanos();
    long nextReport = System.nanoTime() + REPORT_EVERY_NANOS;
    while (true) {
      if (!process.isAlive()) {
        throw new CassandraStartException(
            "Cassandra exited during start-up with code "
                + process.exitValue()
                + CassandraLog.explainExit(logFile)
                + errorLine(logFile)
                + "\nlast lines of "
                + logFile
                + ":\n"
                + CassandraLog.tail(logFile, 30));
      }
      if (answers(settings.host(), settings.cqlPort())) {
        return;
      }
      long now = System.nanoTime();
      if (now > deadline) {
        throw new CassandraStartException(
            "Cassandra did not open its CQL port "
                + settings.host()
                + ":"
                + settings.cqlPort()
                + " within "
                + settings.startupTimeout().toSeconds()
                + " s; it was stopped. Last lines of "
                + logFile
                + ":\n"
                + CassandraLog.tail(logFile, 30));
      }
      if (now > nextReport) {
        settings
            .progress()
            .accept(
                String.format(
                    "waiting for CQL on %s:%d ... %d s (%s)",
                    settings.host(),
                    settings.cqlPort(),
                    TimeUnit.NANOSECONDS.toSeconds(now - startedAt),
                    CassandraLog.lastMeaningfulLine(logFile)));
        nextReport = now + REPORT_EVERY_NANOS;
      }
      try {
        Thread.sleep(POLL_MILLIS); // poll interval of the CQL port
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CassandraStartException("interrupted while waiting for Cassandra", e);
      }
    }
  }

  private static String errorLine(Path logFile) {
    String error = CassandraLog.firstError(logFile);
    return error.isEmpty() ? "" : "\nfirst error in the log: " + error;
  }

  /** A TCP connect to the port succeeds (Cassandra opens it last, once it serves CQL). */
  private static boolean answers(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
