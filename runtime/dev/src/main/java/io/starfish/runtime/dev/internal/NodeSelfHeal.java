package io.starfish.runtime.dev.internal;

import static io.starfish.runtime.dev.internal.DevConsole.say;
import static io.starfish.runtime.dev.internal.DevConsole.secondsSince;

import io.starfish.runtime.dev.NodeProcess;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Notices node processes that died, reports each once, and (unless --no-self-heal) starts a
 * replacement on the same ports, unless the node is crash-looping.
 */
public final class NodeSelfHeal {

  private final RunningNodes nodes;
  private final boolean enabled;
  private final IntConsumer startNode;
  private final ReadinessWait readiness;
  private final StatusTable table;
  private final StopSignal stop;
  private final CrashLoopGuard crashLoops = new CrashLoopGuard();
  // Processes whose death was reported; a replacement is a new NodeProcess and is watched anew.
  private final Set<NodeProcess> reportedDead = new HashSet<>();

  public NodeSelfHeal(
      RunningNodes nodes,
      boolean enabled,
      IntConsumer startNode,
      ReadinessWait readiness,
      StatusTable table,
      StopSignal stop) {
    this.nodes = nodes;
    this.enabled = enabled;
    this.startNode = startNode;
    this.readiness = readiness;
    this.table = table;
    this.stop = stop;
  }

  /** One round of the watch: reports new deaths and replaces the nodes that should be. */
  public void checkOnce() throws InterruptedException {
    List<NodeProcess> snapshot = nodes.all();
    reportedDead.retainAll(snapshot); // forget processes that were replaced
    List<Integer> replace = new ArrayList<>();
    for (NodeProcess node : snapshot) {
      if (!node.isAlive() && !stop.isStopping() && onNodeDied(node)) {
        replace.add(node.index());
      }
    }
    if (!replace.isEmpty()) {
      replace(replace);
    }
  }

  /** Reports a dead node; true if a replacement should be started for it. */
  private boolean onNodeDied(NodeProcess node) {
    if (!reportedDead.add(node)) {
      return false;
    }
    say(
        "node "
            + node.index()
            + " (pid "
            + node.pid()
            + ") exited with "
            + describeExit(node.exitCode())
            + "; see "
            + node.logFile());
    return enabled && crashLoops.allowsRestart(node.index(), node.uptime());
  }

  /**
   * Starts replacements for the dead nodes on the same ports, all before waiting for any: after a
   * loss of the whole cluster, the replacements form a new cluster only together (Cluster Bootstrap
   * needs an answer from every contact point).
   */
  private void replace(List<Integer> indexes) throws InterruptedException {
    long t0 = System.nanoTime();
    for (int index : indexes) {
      // The old process has exited (we saw it), so its ports are free again.
      say("self-heal: starting a replacement for node " + index + " on the same ports");
      startNode.accept(index);
    }
    try {
      readiness.awaitReady(t0, indexes);
      for (int index : indexes) {
        say(
            String.format(
                "self-heal: node %d is back (pid %d) after %.1f s",
                index, nodes.get(index).pid(), secondsSince(t0)));
      }
      table.print();
    } catch (IllegalStateException e) {
      say("self-heal: replacement for node(s) " + indexes + " failed: " + e.getMessage());
    }
  }

  static String describeExit(int code) {
    return code > 128
        ? "signal " + (code - 128) + " (exit code " + code + ")"
        : "exit code " + code;
  }
}
