package io.starfish.persistence.embedded.internal;

import io.starfish.persistence.embedded.CassandraStartException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks made before a Cassandra JVM is forked, so that a taken port or too little memory fails at
 * once with the cause named instead of after a long start-up.
 */
public final class PreflightChecks {

  private PreflightChecks() {}

  public static void requireFreePort(String host, int port, String what) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new CassandraStartException(
          String.format(
              "the Cassandra %s port %s:%d is already in use (another Cassandra or dev cluster"
                  + " running? `ss -ltnp 'sport = :%d'` shows which process holds it)",
              what, host, port, port),
          e);
    }
  }

  /** Heap plus off-heap, metaspace and thread stacks: about 1.8x the heap in practice. */
  public static void requireMemory(int maxHeapMb) {
    long neededMb = maxHeapMb * 18L / 10;
    Optional<Long> availableMb = memAvailableMb();
    if (availableMb.isPresent() && availableMb.get() < neededMb) {
      throw new CassandraStartException(
          String.format(
              "not enough memory for Cassandra: it needs about %d MiB (heap %d MiB), but the"
                  + " machine has %d MiB available; stop other processes or lower the heap",
              neededMb, maxHeapMb, availableMb.get()));
    }
  }

  private static Optional<Long> memAvailableMb() {
    try {
      return Files.readAllLines(Path.of("/proc/meminfo")).stream()
          .filter(line -> line.startsWith("MemAvailable:"))
          .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024)
          .findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // not Linux: skip the check rather than guess
    }
  }
}
