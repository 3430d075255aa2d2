package io.starfish.runtime.dev.internal;

import static io.starfish.runtime.dev.internal.DevConsole.say;

import io.starfish.persistence.embedded.EmbeddedCassandraCluster;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A single Cassandra that exits ends the dev cluster (nothing can be stored). In a ring, a node
 * that exits is reported and, with self-healing, started again on its data; the others serve
 * meanwhile (QUORUM needs two of three).
 */
public final class CassandraWatch {

  private final Supplier<EmbeddedCassandraCluster> cassandra;
  private final Path cassandraHome;
  private final boolean selfHeal;
  private final StopSignal stop;
  private final Set<Integer> downReported = new HashSet<>();

  public CassandraWatch(
      Supplier<EmbeddedCassandraCluster> cassandra,
      Path cassandraHome,
      boolean selfHeal,
      StopSignal stop) {
    this.cassandra = cassandra;
    this.cassandraHome = cassandraHome;
    this.selfHeal = selfHeal;
    this.stop = stop;
  }

  /** One round of the watch; exits the JVM (status 1) if the only Cassandra is gone. */
  public void checkOnce() {
    EmbeddedCassandraCluster ring = cassandra.get();
    if (ring == null || stop.isStopping()) {
      return;
    }
    for (int i = 1; i <= ring.size(); i++) {
      if (ring.node(i) != null) {
        downReported.remove(i);
        continue;
      }
      String address = EmbeddedCassandraCluster.address(i);
      if (ring.size() == 1) {
        say("Cassandra exited; see " + cassandraHome.resolve("logs/cassandra.out") + ". Stopping.");
        System.exit(1); // the shutdown hook stops the nodes
      }
      if (!selfHeal) {
        if (downReported.add(i)) {
          say("Cassandra node " + address + " is down (--no-self-heal: not restarted)");
        }
        continue;
      }
      say("Cassandra node " + address + " is down; starting it again on its data");
      try {
        ring.start(i);
      } catch (RuntimeException e) {
        say("Cassandra node " + address + " did not start: " + e.getMessage());
      }
    }
  }
}
