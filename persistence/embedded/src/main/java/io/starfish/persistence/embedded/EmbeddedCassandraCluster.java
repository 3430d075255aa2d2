package io.starfish.persistence.embedded;

import io.starfish.persistence.embedded.internal.CassandraLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A ring of {@link EmbeddedCassandra} nodes on one machine: node {@code i} (1-based) listens on
 * 127.0.0.{@code i}, every node on the same CQL and storage ports, with its data under {@code
 * <directory>/node-<i>}. Node 1 is the seed. The nodes start one after another (a node joins a ring
 * whose members are up), each with its own token, evenly spaced.
 *
 * <p>A ring of one is exactly the single node of {@link EmbeddedCassandra} at 127.0.0.1 in {@code
 * directory} itself, so dev data of a single node stays where it was.
 *
 * <p>For fault tests: {@link #kill(int)} ({@code kill -9}), {@link #start(int)} on the same data,
 * and {@link #wipeAndReplace(int)}: the node is lost with its data, and a new one takes its place
 * in the ring, streaming the data back from the other replicas.
 */
public final class EmbeddedCassandraCluster implements AutoCloseable {

  /** Starts of a node replacing itself before {@link #wipeAndReplace} gives up. */
  private static final int REPLACE_ATTEMPTS = 2;

  private final List<EmbeddedCassandra.Settings> settings;
  private final EmbeddedCassandra[] nodes;

  /** Replacements so far: each takes the next unused address after the ring's own. */
  private int replacements;

  private EmbeddedCassandraCluster(List<EmbeddedCassandra.Settings> settings) {
    this.settings = new ArrayList<>(settings);
    this.nodes = new EmbeddedCassandra[settings.size()];
  }

  /**
   * Starts {@code size} nodes from {@code template} (its directory, ports, heap, timeout and
   * progress; its host is replaced by 127.0.0.i). Returns once every node answers CQL; if one fails
   * to start, the ones already up are stopped.
   */
  public static EmbeddedCassandraCluster start(EmbeddedCassandra.Settings template, int size) {
    EmbeddedCassandraCluster cluster = new EmbeddedCassandraCluster(plan(template, size));
    try {
      for (int i = 1; i <= size; i++) {
        cluster.start(i);
      }
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The settings of each node of a ring of {@code size}. */
  static List<EmbeddedCassandra.Settings> plan(EmbeddedCassandra.Settings template, int size) {
    if (size < 1 || size > 9) {
      throw new IllegalArgumentException("a ring of 1 to 9 nodes, not " + size);
    }
    if (size == 1) {
      return List.of(template.withHost("127.0.0.1"));
    }
    String seed = address(1) + ":" + template.storagePort();
    List<EmbeddedCassandra.Settings> plan = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      String host = address(i);
      plan.add(
          template
              .withHost(host)
              .withDirectory(template.directory().resolve("node-" + i))
              .withRing(
                  new EmbeddedCassandra.Ring(
                      seed, EmbeddedCassandra.Ring.evenToken(i - 1, size), null))
              .withProgress(line -> template.progress().accept(host + ": " + line)));
    }
    return List.copyOf(plan);
  }

  /** The loopback address node {@code index} (1-based) starts on. */
  public static String address(int index) {
    return "127.0.0." + index;
  }

  public int size() {
    return nodes.length;
  }

  /** "host:port" of every node (a replacement's own address), for the driver's contact points. */
  public synchronized List<String> contactPoints() {
    return settings.stream().map(s -> s.host() + ":" + s.cqlPort()).toList();
  }

  /** The same, comma-separated (STARFISH_CASSANDRA_CONTACT_POINTS). */
  public synchronized String contactPointList() {
    return String.join(",", contactPoints());
  }

  /** The running node {@code index} (1-based), or null if it is not running. */
  public synchronized EmbeddedCassandra node(int index) {
    EmbeddedCassandra node = nodes[index - 1];
    return node != null && node.isRunning() ? node : null;
  }

  /** Starts node {@code index} (1-based) on its data, if it is not running. */
  public synchronized EmbeddedCassandra start(int index) {
    EmbeddedCassandra node = node(index);
    if (node == null) {
      node = EmbeddedCassandra.start(settings.get(index - 1));
      nodes[index - 1] = node;
    }
    return node;
  }

  /** {@code kill -9} of node {@code index}: no flush, no clean commit-log close. */
  public synchronized void kill(int index) {
    EmbeddedCassandra node = node(index);
    if (node != null) {
      node.kill();
    }
    nodes[index - 1] = null;
  }

  /** Graceful stop of node {@code index}. */
  public synchronized void stop(int index) {
    EmbeddedCassandra node = node(index);
    if (node != null) {
      node.stop();
    }
    nodes[index - 1] = null;
  }

  /**
   * Node {@code index} loses its disk: it is killed, and a new node with an empty disk, on the next
   * unused loopback address, takes over its place in the ring, streaming its data from the other
   * replicas before it serves (Cassandra's replace_address_first_boot). Node {@code index} is that
   * new node from then on ({@link #contactPoints()} names its address). Needs a ring of at least
   * two with the keyspaces replicated.
   *
   * <p>A new address, not the lost node's own: a replacement on the same address is a special case
   * in Cassandra (it hibernates in gossip, receives no writes meanwhile), and on a busy 2-core box
   * it failed three times in a row because it never received a seed's gossip state ("Unable to
   * contact any seeds" after the ring delay; CI and a local run, 2026-12-02).
   */
  public synchronized EmbeddedCassandra wipeAndReplace(int index) {
    if (nodes.length < 2) {
      throw new IllegalStateException("a single node cannot be replaced: nothing to stream from");
    }
    EmbeddedCassandra.Settings node = settings.get(index - 1);
    // Cassandra refuses to replace a node that the ring still sees alive (the replacement's
    // gossip with the seeds fails), as after a real disk loss the others notice first.
    killAndAwaitSeenDown(index);
    wipe(node);
    replacements++;
    String newHost = address(nodes.length + replacements);
    EmbeddedCassandra.Settings replacement =
        node.withHost(newHost).withRing(node.ring().replacing(node.host()));
    node.progress()
        .accept(
            "data of "
                + node.host()
                + " lost; a new node on "
                + newHost
                + " replaces it (log in "
                + node.directory().resolve("logs")
                + ")");
    for (int attempt = 1; ; attempt++) {
      try {
        EmbeddedCassandra replaced = EmbeddedCassandra.start(replacement);
        settings.set(index - 1, replacement);
        nodes[index - 1] = replaced;
        return replaced;
      } catch (CassandraStartException e) {
        // An operator whose replacement failed wipes it and starts it again; so do we, twice at
        // most, so that one bad start on a loaded box is told apart from a broken procedure.
        if (attempt == REPLACE_ATTEMPTS) {
          throw e;
        }
        node.progress()
            .accept(
                "replacement of "
                    + node.host()
                    + " failed (attempt "
                    + attempt
                    + " of "
                    + REPLACE_ATTEMPTS
                    + "): "
                    + e.getMessage().lines().limit(3).reduce((a, b) -> a + " " + b).orElse("")
                    + "; starting it again");
        wipe(replacement);
      }
    }
  }

  /**
   * {@code kill -9} of node {@code index}, then waits until every other running node's gossip has
   * marked it DOWN (its "is now DOWN" log line). Until then the others still count it as a replica
   * they may ask: a coordinator may pick it for a read at QUORUM and wait for it until its request
   * times out. Returns the time from the kill to the last of them seeing it down (seconds on a busy
   * machine: it is the gossip failure detector's).
   */
  public synchronized java.time.Duration killAndAwaitSeenDown(int index) {
    EmbeddedCassandra.Settings node = settings.get(index - 1);
    String downLine = "/" + node.host() + ":" + node.storagePort() + " is now DOWN";
    java.util.Map<Integer, Long> downLinesBefore = new java.util.HashMap<>();
    for (int i = 1; i <= nodes.length; i++) {
      if (i != index && node(i) != null) {
        downLinesBefore.put(i, count(node(i).logFile(), downLine));
      }
    }
    long killed = System.nanoTime();
    kill(index);
    awaitSeenDown(node, downLine, downLinesBefore);
    return java.time.Duration.ofNanos(System.nanoTime() - killed);
  }

  private static void wipe(EmbeddedCassandra.Settings node) {
    for (String dir : List.of("data", "commitlog", "hints", "saved_caches", "cdc_raw")) {
      deleteRecursively(node.directory().resolve(dir));
    }
  }

  /** Stops every running node, the last one first. */
  @Override
  public synchronized void close() {
    for (int i = nodes.length; i >= 1; i--) {
      stop(i);
    }
  }

  /**
   * Waits until every other running node has logged {@code downLine} once more than before. A plain
   * loop with a 200 ms pause, not Awaitility: this is main code, and Awaitility is a test library
   * that should not become a dependency of everything that starts a ring.
   */
  private void awaitSeenDown(
      EmbeddedCassandra.Settings node, String downLine, java.util.Map<Integer, Long> before) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (true) {
      boolean seen = true;
      for (var entry : before.entrySet()) {
        EmbeddedCassandra other = node(entry.getKey());
        if (other != null && count(other.logFile(), downLine) <= entry.getValue()) {
          seen = false;
        }
      }
      if (seen) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new CassandraStartException(
            "the other nodes did not see " + node.host() + " down within 60 s");
      }
      try {
        Thread.sleep(200); // poll interval of the other nodes' logs
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CassandraStartException("interrupted waiting for " + node.host() + " down", e);
      }
    }
  }

  private static long count(Path logFile, String line) {
    return CassandraLog.countLinesContaining(logFile, line);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
