package io.starfish.runtime;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Typed view of {@code starfish.node} (see this module's reference.conf).
 *
 * @param host remoting host
 * @param remotePort remoting port
 * @param seedNodes host:port of the seed nodes; empty means "form a cluster of one"
 * @param joinExistingOnly never form a new cluster: only join one the other seed nodes are in (set
 *     for a restarted or replacement node; seed-nodes only)
 * @param join how the node finds and forms its cluster
 * @param managementPort port of the Pekko Management endpoint (bootstrap only)
 * @param contactPoints host:port of the static bootstrap contact points; empty means discovery
 * @param exitWhenStdinCloses shut down when standard input closes (set by the dev launcher)
 * @param journalCheckInterval how often the journal monitor probes Cassandra
 */
public record NodeSettings(
    String host,
    int remotePort,
    List<String> seedNodes,
    boolean joinExistingOnly,
    Join join,
    int managementPort,
    List<String> contactPoints,
    boolean exitWhenStdinCloses,
    Duration journalCheckInterval) {

  /** How a node finds and forms its cluster ({@code starfish.node.join}). */
  public enum Join {
    SEED_NODES,
    BOOTSTRAP
  }

  public static NodeSettings create(Config config) {
    Config c = config.getConfig("starfish.node");
    String join = c.getString("join");
    if (!join.equals("seed-nodes") && !join.equals("bootstrap")) {
      throw new IllegalArgumentException(
          "starfish.node.join: expected \"seed-nodes\" or \"bootstrap\", got \"" + join + "\"");
    }
    return new NodeSettings(
        c.getString("host"),
        c.getInt("remote-port"),
        hostPorts(c, "seed-nodes"),
        c.getBoolean("join-existing-only"),
        join.equals("bootstrap") ? Join.BOOTSTRAP : Join.SEED_NODES,
        c.getInt("management-port"),
        hostPorts(c, "contact-points"),
        c.getBoolean("exit-when-stdin-closes"),
        c.getDuration("journal-check-interval"));
  }

  private static List<String> hostPorts(Config c, String key) {
    List<String> list =
        Arrays.stream(c.getString(key).split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toList());
    for (String hostPort : list) {
      if (!hostPort.matches("[^:\\s]+:\\d{1,5}")) {
        throw new IllegalArgumentException(
            "starfish.node." + key + ": expected host:port, got \"" + hostPort + "\"");
      }
    }
    return List.copyOf(list);
  }
}
