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
 *     for a restarted or replacement node)
 * @param exitWhenStdinCloses shut down when standard input closes (set by the dev launcher)
 * @param journalCheckInterval how often the journal monitor probes Cassandra
 */
public record NodeSettings(
    String host,
    int remotePort,
    List<String> seedNodes,
    boolean joinExistingOnly,
    boolean exitWhenStdinCloses,
    Duration journalCheckInterval) {

  public static NodeSettings create(Config config) {
    Config c = config.getConfig("starfish.node");
    List<String> seeds =
        Arrays.stream(c.getString("seed-nodes").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toList());
    for (String seed : seeds) {
      if (!seed.matches("[^:\\s]+:\\d{1,5}")) {
        throw new IllegalArgumentException(
            "starfish.node.seed-nodes: expected host:port, got \"" + seed + "\"");
      }
    }
    return new NodeSettings(
        c.getString("host"),
        c.getInt("remote-port"),
        seeds,
        c.getBoolean("join-existing-only"),
        c.getBoolean("exit-when-stdin-closes"),
        c.getDuration("journal-check-interval"));
  }
}
