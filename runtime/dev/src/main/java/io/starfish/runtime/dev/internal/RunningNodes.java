package io.starfish.runtime.dev.internal;

import io.starfish.runtime.dev.NodeProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node processes this launcher started, by index; a replacement takes its predecessor's place.
 * Thread-safe: the shutdown hook stops them while the main thread may be watching them.
 */
public final class RunningNodes {

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Map<Integer, NodeProcess> nodes = new HashMap<>();

  public synchronized void put(NodeProcess node) {
    nodes.put(node.index(), node);
  }

  public synchronized NodeProcess get(int index) {
    return nodes.get(index);
  }

  public synchronized List<Integer> indexes() {
    return List.copyOf(nodes.keySet());
  }

  /** Every node, live or dead, by index. */
  public synchronized List<NodeProcess> all() {
    List<NodeProcess> snapshot = new ArrayList<>(nodes.values());
    snapshot.sort(Comparator.comparingInt(NodeProcess::index));
    return snapshot;
  }

  public synchronized List<NodeProcess> alive() {
    return nodes.values().stream().filter(NodeProcess::isAlive).toList();
  }

  /**
   * SIGTERM to every live node at once (each leaves the cluster gracefully), then up to 30 s each
   * before it is killed.
   */
  public void stopAll() {
    List<NodeProcess> toStop = alive();
    if (!toStop.isEmpty()) {
      DevConsole.say("stopping " + toStop.size() + " node(s)");
    }
    toStop.forEach(NodeProcess::terminate);
    for (NodeProcess node : toStop) {
      if (!node.awaitExit(STOP_TIMEOUT)) {
        DevConsole.say("node " + node.index() + " did not stop within 30 s; killing it");
        node.kill();
      }
    }
  }
}
