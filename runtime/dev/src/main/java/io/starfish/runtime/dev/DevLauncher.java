package io.starfish.runtime.dev;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.embedded.CassandraStartException;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import io.starfish.persistence.embedded.EmbeddedCassandraCluster;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code ./starfish dev}: an embedded Cassandra (data under {@code .starfish/}) and N Starfish node
 * JVMs on 127.0.0.1, with progress until every node is ready, a table of the nodes once they are
 * Up, self-heal (a node process that dies is reported and replaced on the same ports; the new
 * incarnation replaces the old one in the cluster), and an orderly stop (nodes first, then
 * Cassandra) on Ctrl-C or SIGTERM. Node i (from 1) uses remoting port 25519+i, HTTP port 8079+i and
 * management (Cluster Bootstrap) port 8557+i.
 *
 * <p>{@code ./starfish dev --join} instead starts one more node that joins the cluster a running
 * {@code ./starfish dev} started, on the next free ports, and watches it the same way.
 */
public final class DevLauncher {

  static final int BASE_REMOTE_PORT = 25520;
  static final int BASE_HTTP_PORT = 8080;
  static final int BASE_MANAGEMENT_PORT = 8558;
  static final int MAX_NODES = 9;
  static final int DEFAULT_CQL_PORT = 9042;

  /** A replacement that dies this soon after its start counts as a failed restart. */
  private static final Duration CRASH_LOOP_WINDOW = Duration.ofSeconds(60);

  private static final int MAX_QUICK_RESTARTS = 3;

  private final Path home;
  private final int nodeCount;
  private final int nodeHeapMb;
  private final boolean join;
  private final boolean selfHeal;
  private final Map<Integer, NodeProcess> nodes = new HashMap<>();
  private final Map<Integer, Integer> quickRestarts = new HashMap<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final int cassandraNodes;
  private volatile EmbeddedCassandraCluster cassandra;
  private final java.util.Set<Integer> cassandraDownReported = new java.util.HashSet<>();
  private volatile boolean stopping;
  private String adminToken;
  private String contactPoints;
  private String contactPoint;

  DevLauncher(
      Path home,
      int nodeCount,
      int nodeHeapMb,
      boolean join,
      boolean selfHeal,
      int cassandraNodes) {
    this.home = home;
    this.cassandraNodes = cassandraNodes;
    this.nodeCount = nodeCount;
    this.nodeHeapMb = nodeHeapMb;
    this.join = join;
    this.selfHeal = selfHeal;
  }

  public static void main(String[] args) throws Exception {
    int nodes = 3;
    int heap = 384;
    boolean join = false;
    boolean selfHeal = true;
    int cassandraNodes = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> nodes = Integer.parseInt(value(args, ++i, "--nodes"));
        case "--node-heap-mb" -> heap = Integer.parseInt(value(args, ++i, "--node-heap-mb"));
        case "--cassandra-nodes" ->
            cassandraNodes = Integer.parseInt(value(args, ++i, "--cassandra-nodes"));
        case "--join" -> join = true;
        case "--no-self-heal" -> selfHeal = false;
        case "--no-build" -> {
          // handled by the ./starfish script
        }
        case "-h", "--help" -> {
          usage();
          return;
        }
        default -> {
          System.err.println("unknown option " + args[i]);
          usage();
          System.exit(2);
        }
      }
    }
    if (nodes < 1 || nodes > MAX_NODES) {
      System.err.println("--nodes must be between 1 and " + MAX_NODES);
      System.exit(2);
    }
    if (cassandraNodes < 1 || cassandraNodes > MAX_CASSANDRA_NODES) {
      System.err.println("--cassandra-nodes must be between 1 and " + MAX_CASSANDRA_NODES);
      System.exit(2);
    }
    DevLauncher launcher =
        new DevLauncher(
            Path.of(".starfish").toAbsolutePath(), nodes, heap, join, selfHeal, cassandraNodes);
    Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "starfish-dev-stop"));
    try {
      if (join) {
        launcher.runJoin();
      } else {
        launcher.run();
      }
    } catch (CassandraStartException | IllegalStateException e) {
      System.err.println("starfish dev: " + e.getMessage());
      System.exit(1);
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      System.err.println(option + " needs a value");
      System.exit(2);
    }
    return args[i];
  }

  /** Loopback addresses 127.0.0.1 .. 127.0.0.N, one Cassandra node each. */
  private static final int MAX_CASSANDRA_NODES = 5;

  /** Shards per entity type of dev data written before the number was recorded. */
  private static final int LEGACY_NUMBER_OF_SHARDS = 100;

  private static void usage() {
    System.out.println(
        "usage: ./starfish dev [--nodes N] [--cassandra-nodes C] [--node-heap-mb MB]"
            + " [--no-self-heal] [--no-build]\n"
            + "       ./starfish dev --join [--cassandra-nodes C] [--node-heap-mb MB] [--no-build]\n"
            + "  starts an embedded Cassandra and N Starfish nodes (default 3) on 127.0.0.1;\n"
            + "  --cassandra-nodes C (default 1) starts a ring of C Cassandra nodes on 127.0.0.1..C\n"
            + "  (CQL 9042 on each) with keyspaces replicated min(C, 3) times, data in\n"
            + "  .starfish/cassandra-C-nodes/;\n"
            + "  node i serves HTTP on 8079+i and cluster remoting on 25519+i (bootstrap: 8557+i); a node process\n"
            + "  that dies is restarted (unless --no-self-heal); Ctrl-C stops all.\n"
            + "  --join starts one more node that joins the cluster of a running ./starfish dev.");
  }

  void run() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(home.resolve("logs"));
    say("Starfish dev: " + nodeCount + " node(s), state in " + home);
    checkShardLayout();
    cassandra =
        EmbeddedCassandraCluster.start(
            EmbeddedCassandra.Settings.in(cassandraHome()), cassandraNodes);
    contactPoint = cassandra.contactPointList();
    contactPoints = contactPoints(Math.min(nodeCount, 3));
    adminToken = newAdminToken();
    for (int index = 1; index <= nodeCount && !stopping; index++) {
      startNode(index);
    }
    awaitReady(t0, List.copyOf(nodes.keySet()));
    awaitMembersUp(nodeCount);
    printTable();
    say(
        "dashboard: http://127.0.0.1:"
            + BASE_HTTP_PORT
            + "/  (every node serves it; metrics at /metrics, healing timeline at"
            + " /api/v1/cluster/events)");
    say(
        "try:  curl -s -X POST localhost:"
            + BASE_HTTP_PORT
            + "/api/v1/entities/account/a1 -H 'Content-Type: application/json'"
            + " -d '{\"type\":\"deposit\",\"amount\":50}'");
    say(
        "admin token (for /api/v1/admin/*, also in "
            + home.resolve("admin-token")
            + "): "
            + adminToken);
    say("more nodes: ./starfish dev --join (in another terminal)");
    say("Ctrl-C stops the nodes and Cassandra; the data stays in " + home);
    watchProcesses();
  }

  /**
   * Remembered entities are stored per shard, so data written with one number of shards must not be
   * used with another: an entity would be restarted in a shard that no longer owns its id, next to
   * a second copy in the right one. The number is recorded next to the data on first use and
   * checked on every start. (Data from before the record existed used 100 shards.)
   */
  private void checkShardLayout() throws IOException {
    int configured =
        com.typesafe.config.ConfigFactory.load().getInt("pekko.cluster.sharding.number-of-shards");
    Path record = home.resolve("number-of-shards");
    boolean hasData = Files.isDirectory(cassandraHome());
    int stored;
    if (Files.exists(record)) {
      stored = Integer.parseInt(Files.readString(record).trim());
    } else if (hasData) {
      stored = LEGACY_NUMBER_OF_SHARDS;
    } else {
      Files.writeString(record, configured + "\n");
      return;
    }
    if (stored != configured) {
      throw new IllegalStateException(
          "the data in "
              + home
              + " was written with "
              + stored
              + " shards per entity type, this build uses "
              + configured
              + ". Remembered entities would be restarted in the wrong shards. Either delete "
              + home
              + " (dev data is lost) or start with"
              + " JAVA_TOOL_OPTIONS=-Dpekko.cluster.sharding.number-of-shards="
              + stored);
    }
    if (!Files.exists(record)) {
      Files.writeString(record, configured + "\n");
    }
  }

  /** --join: one more node for the cluster of a running ./starfish dev. */
  void runJoin() throws Exception {
    long t0 = System.nanoTime();
    Path tokenFile = home.resolve("admin-token");
    if (!Files.exists(tokenFile) || !portOpen(BASE_REMOTE_PORT)) {
      throw new IllegalStateException(
          "no running ./starfish dev found (nothing on 127.0.0.1:"
              + BASE_REMOTE_PORT
              + "); start one first");
    }
    adminToken = Files.readString(tokenFile).strip();
    contactPoint =
        IntStream.rangeClosed(1, cassandraNodes)
            .mapToObj(i -> EmbeddedCassandraCluster.address(i) + ":" + DEFAULT_CQL_PORT)
            .collect(Collectors.joining(","));
    contactPoints = contactPoints(3);
    int index =
        IntStream.rangeClosed(1, MAX_NODES)
            .filter(
                i ->
                    !portOpen(BASE_REMOTE_PORT + i - 1)
                        && !portOpen(BASE_HTTP_PORT + i - 1)
                        && !portOpen(BASE_MANAGEMENT_PORT + i - 1))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("all " + MAX_NODES + " node slots busy"));
    say("joining node " + index + " to the running dev cluster");
    startNode(index);
    awaitReady(t0, List.of(index));
    awaitMembersUp(0);
    printTable();
    say("Ctrl-C makes this node leave the cluster gracefully");
    watchProcesses();
  }

  /** Where the Cassandra data lives: the single node's folder, or one per ring size. */
  private Path cassandraHome() {
    return cassandraNodes == 1
        ? home.resolve("cassandra")
        : home.resolve("cassandra-" + cassandraNodes + "-nodes");
  }

  /** The management endpoints of the first {@code count} nodes: the bootstrap contact points. */
  private static String contactPoints(int count) {
    return IntStream.range(0, count)
        .mapToObj(i -> "127.0.0.1:" + (BASE_MANAGEMENT_PORT + i))
        .collect(Collectors.joining(","));
  }

  private String newAdminToken() throws IOException {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    String token = HexFormat.of().formatHex(bytes);
    Path file = home.resolve("admin-token");
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, token + "\n", StandardOpenOption.TRUNCATE_EXISTING);
    return token;
  }

  /**
   * Starts node {@code index}. First start, replacement or extra node alike: Cluster Bootstrap
   * joins the cluster that a contact point reports, or forms one when none is running.
   */
  private void startNode(int index) {
    Map<String, String> env =
        new java.util.HashMap<>(
            NodeProcess.bootstrapEnvironment(BASE_MANAGEMENT_PORT + index - 1, contactPoints));
    env.put("STARFISH_ADMIN_TOKEN", adminToken);
    // Every event on min(C, 3) Cassandra nodes: a ring of three or more survives losing one.
    env.put("STARFISH_CASSANDRA_REPLICATION_FACTOR", Integer.toString(Math.min(cassandraNodes, 3)));
    NodeProcess node =
        NodeProcess.start(
            index,
            BASE_REMOTE_PORT + index - 1,
            BASE_HTTP_PORT + index - 1,
            "",
            contactPoint,
            nodeHeapMb,
            home.resolve("logs").resolve("node-" + index + ".log"),
            env);
    synchronized (nodes) {
      nodes.put(index, node);
    }
    say("node " + index + " starting: pid " + node.pid() + ", log " + node.logFile());
  }

  private void awaitReady(long t0, List<Integer> indexes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    long nextReport = 0;
    while (!stopping) {
      List<String> status = new ArrayList<>();
      boolean allReady = true;
      for (int index : indexes) {
        NodeProcess node = nodes.get(index);
        if (!node.isAlive()) {
          throw new IllegalStateException(
              "node " + index + " exited during start-up; see " + node.logFile());
        }
        String state = readiness(node.httpPort());
        allReady &= state.equals("ready");
        status.add("node " + index + ": " + state);
      }
      if (allReady) {
        say(String.format("%d node(s) ready after %.1f s", indexes.size(), secondsSince(t0)));
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "nodes not ready within 3 minutes: " + status + "; see " + home.resolve("logs"));
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

  /** Waits (up to 30 s) until the cluster lists at least {@code count} members, all Up. */
  private void awaitMembersUp(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!stopping && System.nanoTime() < deadline) {
      Map<Integer, String> members = memberStatus();
      if (members.size() >= count && members.values().stream().allMatch("Up"::equals)) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(250); // poll interval of the membership view
    }
  }

  private String readiness(int port) {
    try {
      HttpResponse<String> response = get(port, "/health/ready");
      if (response.statusCode() == 200) {
        return "ready";
      }
      JsonNode detail = EntityJson.MAPPER.readTree(response.body()).path("detail");
      return detail.isTextual() ? detail.asText() : "HTTP " + response.statusCode();
    } catch (IOException e) {
      return "starting";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(3))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Member status per remoting port, as the first answering node sees the cluster; an unreachable
   * member's status is suffixed with "(unreachable)".
   */
  private Map<Integer, String> memberStatus() {
    List<NodeProcess> alive;
    synchronized (nodes) {
      alive = nodes.values().stream().filter(NodeProcess::isAlive).toList();
    }
    List<Integer> ports = new ArrayList<>(alive.stream().map(NodeProcess::httpPort).toList());
    if (join) {
      ports.add(0, BASE_HTTP_PORT);
    }
    for (int port : ports) {
      try {
        HttpResponse<String> response = get(port, "/api/v1/cluster");
        if (response.statusCode() != 200) {
          continue;
        }
        Map<Integer, String> status = new HashMap<>();
        for (JsonNode member : EntityJson.MAPPER.readTree(response.body()).path("members")) {
          String address = member.path("address").asText();
          int remotePort = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
          status.put(
              remotePort,
              member.path("status").asText()
                  + (member.path("reachable").asBoolean(true) ? "" : " (unreachable)"));
        }
        return status;
      } catch (IOException | RuntimeException e) {
        // try the next node
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return Map.of();
  }

  private void printTable() {
    Map<Integer, String> members = memberStatus();
    say(
        String.format(
            "%-6s %-8s %-18s %-24s %-8s %s", "node", "pid", "remoting", "http", "rss", "member"));
    EmbeddedCassandraCluster ring = cassandra;
    for (int i = 1; ring != null && i <= ring.size(); i++) {
      EmbeddedCassandra node = ring.node(i);
      if (node != null) {
        say(
            String.format(
                "%-6s %-8s %-18s %-24s %-8s %s",
                ring.size() == 1 ? "cass" : "cass" + i,
                node.pid(),
                "-",
                "cql " + node.contactPoint(),
                rss(node.pid()),
                "-"));
      }
    }
    List<NodeProcess> snapshot;
    synchronized (nodes) {
      snapshot = new ArrayList<>(nodes.values());
    }
    snapshot.sort(java.util.Comparator.comparingInt(NodeProcess::index));
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
            say(
                String.format(
                    "%-6s %-8s %-18s %-24s %-8s %s",
                    "-", "-", "127.0.0.1:" + port, "-", "-", status));
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

  private static boolean portOpen(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void watchProcesses() throws InterruptedException {
    while (!stopping) {
      List<NodeProcess> snapshot;
      synchronized (nodes) {
        snapshot = new ArrayList<>(nodes.values());
      }
      List<Integer> replace = new ArrayList<>();
      for (NodeProcess node : snapshot) {
        if (!node.isAlive() && !stopping && onNodeDied(node)) {
          replace.add(node.index());
        }
      }
      if (!replace.isEmpty()) {
        replace(replace);
      }
      watchCassandra();
      if (stopped.await(500, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  /**
   * A single Cassandra that exits ends the dev cluster (nothing can be stored). In a ring, a node
   * that exits is reported and, with self-healing, started again on its data; the others serve
   * meanwhile (QUORUM needs two of three).
   */
  private void watchCassandra() {
    EmbeddedCassandraCluster ring = cassandra;
    if (ring == null || stopping) {
      return;
    }
    for (int i = 1; i <= ring.size(); i++) {
      if (ring.node(i) != null) {
        cassandraDownReported.remove(i);
        continue;
      }
      String address = EmbeddedCassandraCluster.address(i);
      if (ring.size() == 1) {
        say(
            "Cassandra exited; see "
                + cassandraHome().resolve("logs/cassandra.out")
                + ". Stopping.");
        System.exit(1);
      }
      if (!selfHeal) {
        if (cassandraDownReported.add(i)) {
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

  /** Reports a dead node; true if a replacement should be started for it. */
  private boolean onNodeDied(NodeProcess node) {
    int index = node.index();
    if (node.reportedDead) {
      return false;
    }
    node.reportedDead = true;
    say(
        "node "
            + index
            + " (pid "
            + node.pid()
            + ") exited with "
            + describeExit(node.exitCode())
            + "; see "
            + node.logFile());
    if (!selfHeal) {
      return false;
    }
    boolean quick = node.uptime().compareTo(CRASH_LOOP_WINDOW) < 0;
    int quickCount = quick ? quickRestarts.merge(index, 1, Integer::sum) : 0;
    if (!quick) {
      quickRestarts.remove(index);
    }
    if (quickCount > MAX_QUICK_RESTARTS) {
      say(
          "node "
              + index
              + " died "
              + quickCount
              + " times within "
              + CRASH_LOOP_WINDOW.toSeconds()
              + " s of starting; not restarting it again (see its log)");
      return false;
    }
    return true;
  }

  /**
   * Self-heal: starts replacements for the dead nodes on the same ports, all before waiting for
   * any: after a loss of the whole cluster, the replacements form a new cluster only together
   * (Cluster Bootstrap needs an answer from every contact point).
   */
  private void replace(List<Integer> indexes) throws InterruptedException {
    long t0 = System.nanoTime();
    for (int index : indexes) {
      // The old process has exited (we saw it), so its ports are free again.
      say("self-heal: starting a replacement for node " + index + " on the same ports");
      startNode(index);
    }
    try {
      awaitReady(t0, indexes);
      for (int index : indexes) {
        say(
            String.format(
                "self-heal: node %d is back (pid %d) after %.1f s",
                index, nodes.get(index).pid(), secondsSince(t0)));
      }
      printTable();
    } catch (IllegalStateException e) {
      say("self-heal: replacement for node(s) " + indexes + " failed: " + e.getMessage());
    }
  }

  private static String describeExit(int code) {
    return code > 128
        ? "signal " + (code - 128) + " (exit code " + code + ")"
        : "exit code " + code;
  }

  /** Nodes first (graceful leave), then Cassandra, so the nodes can still write while leaving. */
  void stop() {
    stopping = true;
    List<NodeProcess> toStop;
    synchronized (nodes) {
      toStop = nodes.values().stream().filter(NodeProcess::isAlive).toList();
    }
    if (!toStop.isEmpty()) {
      say("stopping " + toStop.size() + " node(s)");
    }
    toStop.forEach(NodeProcess::terminate);
    for (NodeProcess node : toStop) {
      if (!node.awaitExit(Duration.ofSeconds(30))) {
        say("node " + node.index() + " did not stop within 30 s; killing it");
        node.kill();
      }
    }
    if (cassandra != null) {
      cassandra.close();
    }
    stopped.countDown();
    say("stopped");
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static void say(String line) {
    System.out.println("[starfish] " + line);
  }
}
