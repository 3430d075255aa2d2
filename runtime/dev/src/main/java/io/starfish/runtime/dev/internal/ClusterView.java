package io.starfish.runtime.dev.internal;

import io.starfish.runtime.dev.NodeProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cluster's members as the launcher's own live nodes see them; with --join, node 1 of the
 * running ./starfish dev is asked first (it knows the cluster before the new node does).
 */
public final class ClusterView {

  private final RunningNodes nodes;
  private final NodeHttpProbe probe;
  private final boolean join;

  public ClusterView(RunningNodes nodes, NodeHttpProbe probe, boolean join) {
    this.nodes = nodes;
    this.probe = probe;
    this.join = join;
  }

  /** Member status by remoting port; empty if no node answers. */
  public Map<Integer, String> members() {
    List<Integer> ports =
        new ArrayList<>(nodes.alive().stream().map(NodeProcess::httpPort).toList());
    if (join) {
      ports.add(0, NodePorts.BASE_HTTP_PORT);
    }
    return probe.memberStatus(ports);
  }
}
