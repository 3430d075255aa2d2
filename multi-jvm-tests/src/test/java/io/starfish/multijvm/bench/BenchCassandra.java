package io.starfish.multijvm.bench;

import io.starfish.multijvm.RingSchema;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import io.starfish.persistence.embedded.EmbeddedCassandraCluster;
import io.starfish.persistence.testing.TestCassandra;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Cassandra a benchmark's clusters write to: the single local node of the tests ({@code
 * single}), or a ring of three on 127.0.0.1-3 with every keyspace replicated three times and the
 * journal at QUORUM ({@code ring}), where a write waits for a second replica and a lightweight
 * transaction for a majority's Paxos rounds: storage latency as in production, not the sub-
 * millisecond of one local node.
 */
final class BenchCassandra implements AutoCloseable {

  private final EmbeddedCassandraCluster ring;

  private BenchCassandra(EmbeddedCassandraCluster ring) {
    this.ring = ring;
  }

  /** Starts the kind named ("single" or "ring"). */
  static BenchCassandra start(String kind) {
    switch (kind) {
      case "single" -> {
        TestCassandra.instance();
        return new BenchCassandra(null);
      }
      case "ring" -> {
        Path dir =
            Path.of(System.getProperty("starfish.test.work-dir", "target/it-work"))
                .resolve("bench-ring-" + UUID.randomUUID().toString().substring(0, 8));
        EmbeddedCassandraCluster ring =
            EmbeddedCassandraCluster.start(
                EmbeddedCassandra.Settings.in(dir)
                    .withPorts(TestCassandra.freePort(), TestCassandra.freePort())
                    .withProgress(line -> System.out.println("[bench-ring] " + line)),
                3);
        System.out.println("[bench-ring] up: " + ring.contactPointList());
        return new BenchCassandra(ring);
      }
      default -> throw new IllegalArgumentException("--cassandra single|ring, not " + kind);
    }
  }

  boolean isRing() {
    return ring != null;
  }

  /** "host:port" of one node (for a client that takes one point; the driver finds the rest). */
  String onePoint() {
    return ring != null ? ring.contactPoints().get(0) : TestCassandra.instance().contactPoint();
  }

  /** Every node's "host:port", comma-separated. */
  String contactPoints() {
    return ring != null ? ring.contactPointList() : TestCassandra.instance().contactPoint();
  }

  /** The process id of every Cassandra node. */
  List<Long> pids() {
    if (ring == null) {
      return List.of(TestCassandra.instance().pid());
    }
    List<Long> pids = new ArrayList<>();
    for (int i = 1; i <= ring.size(); i++) {
      EmbeddedCassandra node = ring.node(i);
      if (node != null) {
        pids.add(node.pid());
      }
    }
    return pids;
  }

  /**
   * The environment of a cluster's nodes on this Cassandra. On the ring: the journal and snapshot
   * keyspaces (as {@link ThroughputBenchmark#ownKeyspaces} names them) are created first with three
   * replicas ({@link RingSchema}), and the nodes do not create schema.
   */
  Map<String, String> environment(Map<String, String> environment, String keyspace) {
    if (ring == null) {
      return environment;
    }
    createSchema(keyspace);
    Map<String, String> env = new HashMap<>(environment);
    env.put("STARFISH_CASSANDRA_REPLICATION_FACTOR", "3");
    env.put("STARFISH_CASSANDRA_SCHEMA_AUTOCREATE", "off");
    return env;
  }

  private void createSchema(String keyspace) {
    RingSchema.create(
        ring.contactPointList(),
        "pekko.persistence.cassandra.journal.keyspace = "
            + keyspace
            + "\npekko.persistence.cassandra.snapshot.keyspace = "
            + keyspace
            + "_snapshot");
  }

  @Override
  public void close() {
    if (ring != null) {
      ring.close();
    } else {
      TestCassandra.stop();
    }
  }
}
