package io.starfish.runtime.dev.internal;

/**
 * What {@code ./starfish dev} was asked to do.
 *
 * @param nodes how many Starfish nodes to start (ignored by --join, which starts one)
 * @param nodeHeapMb -Xmx of each node JVM
 * @param cassandraNodes how many Cassandra nodes form the ring (on 127.0.0.1..C)
 * @param join start one more node for the cluster of a running ./starfish dev
 * @param selfHeal restart nodes (and ring members) that die
 */
public record DevOptions(
    int nodes, int nodeHeapMb, int cassandraNodes, boolean join, boolean selfHeal) {

  public static final int DEFAULT_NODES = 3;
  public static final int DEFAULT_NODE_HEAP_MB = 384;
  public static final int DEFAULT_CASSANDRA_NODES = 1;

  /** Loopback addresses 127.0.0.1 .. 127.0.0.N, one Cassandra node each. */
  public static final int MAX_CASSANDRA_NODES = 5;

  public static DevOptions defaults() {
    return new DevOptions(
        DEFAULT_NODES, DEFAULT_NODE_HEAP_MB, DEFAULT_CASSANDRA_NODES, false, true);
  }
}
