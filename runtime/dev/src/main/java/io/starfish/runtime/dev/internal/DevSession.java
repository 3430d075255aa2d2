package io.starfish.runtime.dev.internal;

import static io.starfish.runtime.dev.internal.DevConsole.say;

import io.starfish.persistence.embedded.EmbeddedCassandra;
import io.starfish.persistence.embedded.EmbeddedCassandraCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One run of {@code ./starfish dev}: the Cassandra ring and the nodes, started in order and watched
 * until Ctrl-C; or, with --join, one more node for a running dev cluster.
 */
public final class DevSession {

  static final int DEFAULT_CQL_PORT = 9042;

  /** How often the watch loop looks at the processes. */
  private static final Duration WATCH_INTERVAL = Duration.ofMillis(500);

  private final Path home;
  private final DevOptions options;
  private final StopSignal stop = new StopSignal();
  private final RunningNodes nodes = new RunningNodes();
  private final ReadinessWait readiness;
  private final StatusTable table;
  private final NodeSelfHeal nodeSelfHeal;
  private final CassandraWatch cassandraWatch;
  private volatile EmbeddedCassandraCluster cassandra;
  private NodeStarter starter;

  public DevSession(Path home, DevOptions options) {
    this.home = home;
    this.options = options;
    NodeHttpProbe probe = new NodeHttpProbe();
    ClusterView cluster = new ClusterView(nodes, probe, options.join());
    this.readiness = new ReadinessWait(nodes, probe, cluster, stop, logDirectory());
    this.table = new StatusTable(nodes, cluster, () -> cassandra);
    this.nodeSelfHeal =
        new NodeSelfHeal(nodes, options.selfHeal(), this::startNode, readiness, table, stop);
    this.cassandraWatch =
        new CassandraWatch(() -> cassandra, cassandraHome(), options.selfHeal(), stop);
  }

  /** Runs until stopped: a new dev cluster, or with --join one more node for a running one. */
  public void run() throws Exception {
    if (options.join()) {
      runJoin();
    } else {
      runCluster();
    }
  }

  private void runCluster() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(logDirectory());
    say("Starfish dev: " + options.nodes() + " node(s), state in " + home);
    ShardLayout.check(home, cassandraHome());
    cassandra =
        EmbeddedCassandraCluster.start(
            EmbeddedCassandra.Settings.in(cassandraHome()), options.cassandraNodes());
    starter =
        nodeStarter(
            cassandra.contactPointList(),
            NodePorts.bootstrapContactPoints(Math.min(options.nodes(), 3)),
            AdminToken.create(home));
    for (int index = 1; index <= options.nodes() && !stop.isStopping(); index++) {
      startNode(index);
    }
    readiness.awaitReady(t0, nodes.indexes());
    readiness.awaitMembersUp(options.nodes());
    table.print();
    int http = NodePorts.BASE_HTTP_PORT;
    say(
        "dashboard: http://127.0.0.1:"
            + http
            + "/  (every node serves it; metrics at /metrics, healing timeline at"
            + " /api/v1/cluster/events)");
    say(
        "try:  curl -s -X POST localhost:"
            + http
            + "/api/v1/entities/account/a1 -H 'Content-Type: application/json'"
            + " -d '{\"type\":\"deposit\",\"amount\":50}'");
    say(
        "admin token (for /api/v1/admin/*, also in "
            + AdminToken.file(home)
            + "): "
            + starter.adminToken());
    say("more nodes: ./starfish dev --join (in another terminal)");
    say("Ctrl-C stops the nodes and Cassandra; the data stays in " + home);
    watch();
  }

  private void runJoin() throws Exception {
    long t0 = System.nanoTime();
    if (!Files.exists(AdminToken.file(home)) || !NodePorts.isOpen(NodePorts.BASE_REMOTE_PORT)) {
      throw new IllegalStateException(
          "no running ./starfish dev found (nothing on 127.0.0.1:"
              + NodePorts.BASE_REMOTE_PORT
              + "); start one first");
    }
    String adminToken = AdminToken.read(home);
    String cassandraContactPoints =
        IntStream.rangeClosed(1, options.cassandraNodes())
            .mapToObj(i -> EmbeddedCassandraCluster.address(i) + ":" + DEFAULT_CQL_PORT)
            .collect(Collectors.joining(","));
    starter = nodeStarter(cassandraContactPoints, NodePorts.bootstrapContactPoints(3), adminToken);
    int index =
        IntStream.rangeClosed(1, NodePorts.MAX_NODES)
            .filter(i -> NodePorts.of(i).allFree())
            .findFirst()
            .orElseThrow(
                () -> new IllegalStateException("all " + NodePorts.MAX_NODES + " node slots busy"));
    say("joining node " + index + " to the running dev cluster");
    startNode(index);
    readiness.awaitReady(t0, List.of(index));
    readiness.awaitMembersUp(0);
    table.print();
    say("Ctrl-C makes this node leave the cluster gracefully");
    watch();
  }

  private NodeStarter nodeStarter(
      String cassandraContactPoints, String bootstrapContactPoints, String adminToken) {
    return new NodeStarter(
        logDirectory(),
        options.nodeHeapMb(),
        cassandraContactPoints,
        bootstrapContactPoints,
        adminToken,
        options.cassandraNodes());
  }

  private void startNode(int index) {
    nodes.put(starter.start(index));
  }

  /**
   * Watches the nodes and Cassandra until the stop has finished. A supervision loop, not a wait for
   * a condition (so no Awaitility, a test library anyway): each round acts on what it finds, then
   * pauses on the stop latch, which also ends the pause at once on Ctrl-C.
   */
  private void watch() throws InterruptedException {
    while (!stop.isStopping()) {
      nodeSelfHeal.checkOnce();
      cassandraWatch.checkOnce();
      if (stop.awaitStopped(WATCH_INTERVAL)) {
        return;
      }
    }
  }

  /** Nodes first (graceful leave), then Cassandra, so the nodes can still write while leaving. */
  public void stop() {
    stop.beginStopping();
    nodes.stopAll();
    if (cassandra != null) {
      cassandra.close();
    }
    stop.markStopped();
    say("stopped");
  }

  private Path logDirectory() {
    return home.resolve("logs");
  }

  /** Where the Cassandra data lives: the single node's folder, or one per ring size. */
  private Path cassandraHome() {
    return options.cassandraNodes() == 1
        ? home.resolve("cassandra")
        : home.resolve("cassandra-" + options.cassandraNodes() + "-nodes");
  }
}
