package io.starfish.runtime.dev.internal;

import static io.starfish.runtime.dev.internal.DevConsole.say;

import io.starfish.persistence.embedded.EmbeddedCassandra;
import io.starfish.persistence.embedded.EmbeddedCassandraCluster;
import io.starfish.runtime.dev.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The table of the dev cluster's processes: the Cassandra node(s), this launcher's nodes and the
 * members it did not start, with pid, ports, resident memory and member status.
 */
public final class StatusTable {

  private static final String ROW = "%-6s %-8s %-18s %-24s %-8s %s";

  private final RunningNodes nodes;
  private final ClusterView cluster;
  private final Supplier<EmbeddedCassandraCluster> cassandra;

  public StatusTable(
      RunningNodes nodes, ClusterView cluster, Supplier<EmbeddedCassandraCluster> cassandra) {
    this.nodes = nodes;
    this.cluster = cluster;
    this.cassandra = cassandra;
  }

  public void print() {
    Map<Integer, String> members = cluster.members();
    say(String.format(ROW, "node", "pid", "remoting", "http", "rss", "member"));
    EmbeddedCassandraCluster ring = cassandra.get();
    for (int i = 1; ring != null && i <= ring.size(); i++) {
      EmbeddedCassandra node = ring.node(i);
      if (node != null) {
        say(
            String.format(
                ROW,
                ring.size() == 1 ? "cass" : "cass" + i,
                node.pid(),
                "-",
                "cql " + node.contactPoint(),
                rss(node.pid()),
                "-"));
      }
    }
    List<NodeProcess> snapshot = nodes.all();
    for (NodeProcess node : snapshot) {
      say(
          String.format(
              "%-6s %-8d %-18s %-24s %-8s %s",
              node.index(),
              node.pid(),
              "127.0.0.1:" + node.remotePort(),
              "http://127.0.0.1:" + node.httpPort(),
              rss(node.pid()),
              Optional.ofNullable(members.get(node.remotePort())).orElse("?")));
    }
    // Members of the cluster this launcher did not start (other launchers, --join).
    members.forEach(
        (port, status) -> {
          if (snapshot.stream().noneMatch(n -> n.remotePort() == port)) {
            say(String.format(ROW, "-", "-", "127.0.0.1:" + port, "-", "-", status));
          }
        });
  }

  /** Resident set size from /proc, for the table; "?" where /proc is not there. */
  static String rss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return (kb / 1024) + " MiB";
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return "?";
  }
}
