package io.starfish.runtime.dev.internal;

import static io.starfish.runtime.dev.internal.DevConsole.say;
import static io.starfish.runtime.dev.internal.DevConsole.secondsSince;

import io.starfish.runtime.dev.NodeProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Waits for started nodes: until their readiness endpoints say ready (with progress every 3 s), and
 * until the cluster lists them Up.
 *
 * <p>Plain loops with a pause, not Awaitility: this is main code (Awaitility is a test library),
 * and each round also reports progress, checks that the processes live and stops on Ctrl-C.
 */
public final class ReadinessWait {

  private static final long READY_TIMEOUT_MINUTES = 3;
  private static final long MEMBERS_UP_TIMEOUT_SECONDS = 30;

  private final RunningNodes nodes;
  private final NodeHttpProbe probe;
  private final ClusterView cluster;
  private final StopSignal stop;
  private final Path logDirectory;

  public ReadinessWait(
      RunningNodes nodes,
      NodeHttpProbe probe,
      ClusterView cluster,
      StopSignal stop,
      Path logDirectory) {
    this.nodes = nodes;
    this.probe = probe;
    this.cluster = cluster;
    this.stop = stop;
    this.logDirectory = logDirectory;
  }

  /**
   * Until every node of {@code indexes} is ready; IllegalStateException if one exits or they are
   * not ready within 3 minutes. {@code t0} is when they were started.
   */
  public void awaitReady(long t0, List<Integer> indexes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(READY_TIMEOUT_MINUTES);
    long nextReport = 0;
    while (!stop.isStopping()) {
      List<String> status = new ArrayList<>();
      boolean allReady = true;
      for (int index : indexes) {
        NodeProcess node = nodes.get(index);
        if (!node.isAlive()) {
          throw new IllegalStateException(
              "node " + index + " exited during start-up; see " + node.logFile());
        }
        String state = probe.readiness(node.httpPort());
        allReady &= state.equals("ready");
        status.add("node " + index + ": " + state);
      }
      if (allReady) {
        say(String.format("%d node(s) ready after %.1f s", indexes.size(), secondsSince(t0)));
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "nodes not ready within 3 minutes: " + status + "; see " + logDirectory);
      }
      if (System.nanoTime() > nextReport) {
        say(
            String.format(
                "waiting for readiness (%.0f s): %s", secondsSince(t0), String.join(", ", status)));
        nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      }
      TimeUnit.MILLISECONDS.sleep(500); // poll interval of the readiness endpoints
    }
  }

  /**
   * Waits (up to 30 s) until the cluster lists at least {@code count} members, all Up. Returns
   * quietly at the timeout: the table that follows shows the members' states.
   */
  public void awaitMembersUp(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MEMBERS_UP_TIMEOUT_SECONDS);
    while (!stop.isStopping() && System.nanoTime() < deadline) {
      Map<Integer, String> members = cluster.members();
      if (members.size() >= count && members.values().stream().allMatch("Up"::equals)) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(250); // poll interval of the membership view
    }
  }
}
