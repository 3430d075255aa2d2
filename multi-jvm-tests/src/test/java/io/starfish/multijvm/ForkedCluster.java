package io.starfish.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.dev.NodeProcess;
import io.starfish.runtime.examples.ExampleNode;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A cluster of real Starfish node JVMs on loopback, started the way {@code ./starfish dev} starts
 * them, against the shared test Cassandra ({@link TestCassandra}). Every process it starts is
 * recorded and stopped by {@link #close()}, also when a test fails.
 */
public final class ForkedCluster implements AutoCloseable {

  /** A node slot: fixed ports, and the process currently running on them (if any). */
  public final class Node {
    public final int index;
    public final int remotePort;
    public final int httpPort;
    public final int managementPort;
    private NodeProcess process;
    private int incarnation;
    // The application's main class its next start runs (null: the example node).
    private String mainClass;
    private volatile boolean paused;

    Node(int index, int remotePort, int httpPort, int managementPort) {
      this.index = index;
      this.remotePort = remotePort;
      this.httpPort = httpPort;
      this.managementPort = managementPort;
    }

    public String address() {
      return "pekko://starfish@127.0.0.1:" + remotePort;
    }

    public boolean isAlive() {
      return process != null && process.isAlive();
    }

    /** Stopped with SIGSTOP and not yet continued: alive, but answers nothing. */
    public boolean isPaused() {
      return paused && isAlive();
    }

    public long pid() {
      return process.pid();
    }

    /** How many processes have been started on this node's ports (1 for the first). */
    public int incarnation() {
      return incarnation;
    }

    public Path logFile() {
      return process.logFile();
    }

    @Override
    public String toString() {
      return "node " + index + " (" + address() + ", http " + httpPort + ")";
    }
  }

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();

  private final String name;
  private final Path logs;
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, String> environment;
  private final int heapMb;

  /** Contact points of the Cassandra the nodes use; null: the shared {@link TestCassandra}. */
  private volatile String cassandra;

  /** Set for real partitions: each node runs in a cgroup of its own that rules can match. */
  private PacketFilter packets;

  /**
   * @param name prefix of the log files
   * @param size number of nodes; the first (up to) three are the bootstrap contact points
   * @param environment extra environment of every node (e.g. JAVA_TOOL_OPTIONS with -D settings)
   */
  public ForkedCluster(String name, int size, Map<String, String> environment, int heapMb) {
    this.name = name;
    // Forked nodes log at INFO with the runtime's logback.xml (not this module's quieter
    // logback-test.xml, which is on the same class path), so their logs explain failures.
    Map<String, String> env = new HashMap<>(environment);
    env.merge(
        "JAVA_TOOL_OPTIONS",
        "-Dlogback.configurationFile=logback.xml",
        // a caller's own -Dlogback.configurationFile (e.g. a debug config) comes last and wins
        (given, logging) -> logging + " " + given);
    this.environment = Map.copyOf(env);
    this.heapMb = heapMb;
    this.logs =
        Path.of(System.getProperty("starfish.test.work-dir", "target/it-work")).resolve("logs");
    for (int i = 1; i <= size; i++) {
      nodes.add(
          new Node(
              i, TestCassandra.freePort(), TestCassandra.freePort(), TestCassandra.freePort()));
    }
  }

  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  public Node node(int index) {
    return nodes.get(index - 1);
  }

  /**
   * Nodes started from now on use this Cassandra ("host:port", comma-separated) instead of the
   * shared {@link TestCassandra}; e.g. a replicated ring.
   */
  public void useCassandra(String contactPoints) {
    this.cassandra = contactPoints;
  }

  /** The Cassandra contact points the nodes use, comma-separated. */
  public String cassandraContactPoints() {
    String ring = cassandra;
    return ring != null ? ring : TestCassandra.instance().contactPoint();
  }

  /** The management endpoints of the first (up to) three nodes: the bootstrap contact points. */
  private String contactPoints() {
    return nodes.stream()
        .limit(3)
        .map(n -> "127.0.0.1:" + n.managementPort)
        .collect(Collectors.joining(","));
  }

  /**
   * Starts every node from now on inside a cgroup of its own, so that {@code packets} can cut its
   * traffic ({@link #cutOneWay}, {@link #isolateByPackets}, {@link #cutFromCassandra}). The filter
   * belongs to the caller, which closes it after this cluster.
   */
  public void usePacketFilter(PacketFilter packets) {
    this.packets = packets;
  }

  /** Drops every packet that {@code from} sends to {@code to}'s remoting port; not the reverse. */
  public void cutOneWay(Node from, Node to) {
    packets.drop(group(from), to.remotePort);
  }

  /** Drops all remoting traffic between {@code node} and every other node, both directions. */
  public void isolateByPackets(Node node) {
    for (Node other : nodes) {
      if (other != node) {
        cutOneWay(node, other);
        cutOneWay(other, node);
      }
    }
  }

  /** Drops what {@code node} sends to Cassandra; its peers still reach Cassandra and it. */
  public void cutFromCassandra(Node node) {
    String contactPoint = TestCassandra.instance().contactPoint();
    packets.drop(
        group(node), Integer.parseInt(contactPoint.substring(contactPoint.lastIndexOf(':') + 1)));
  }

  /** Removes every packet rule. */
  public void healPackets() {
    packets.healAll();
  }

  private static String group(Node node) {
    return "node-" + node.index;
  }

  /** Starts every node and waits until all are ready and see each other Up. */
  public void start(Duration timeout) {
    start(timeout, nodes.size());
  }

  /** Starts the first {@code count} nodes and waits until they are ready and see each other Up. */
  public void start(Duration timeout, int count) {
    List<Node> first = nodes.subList(0, count);
    first.forEach(this::launch);
    awaitReadyAndUp(timeout, first);
  }

  private void launch(Node node) {
    launch(node, Map.of());
  }

  private void launch(Node node, Map<String, String> extraEnvironment) {
    // As ./starfish dev: Cluster Bootstrap, the same contact points for a first start, a restart
    // and a replacement of the whole cluster.
    Map<String, String> env =
        new HashMap<>(NodeProcess.bootstrapEnvironment(node.managementPort, contactPoints()));
    env.putAll(environment);
    env.putAll(extraEnvironment);
    node.incarnation++;
    node.process =
        NodeProcess.start(
            node.index,
            node.remotePort,
            node.httpPort,
            "",
            cassandraContactPoints(),
            heapMb,
            logs.resolve(name + "-node-" + node.index + "-" + node.incarnation + ".log"),
            env,
            packets == null ? List.of() : packets.launchPrefix(group(node)),
            node.mainClass == null ? ExampleNode.class.getName() : node.mainClass);
  }

  /**
   * Starts a stopped or killed node again: a new process on its ports, configured like every other,
   * and waits until all live nodes see it ready and Up.
   */
  public void restartNode(Node node, Duration timeout) {
    if (node.isAlive()) {
      throw new IllegalStateException(node + " is still running");
    }
    // A restarted node joins the running cluster (a contact point reports it); bootstrap never
    // forms a second one beside it.
    launch(node);
    awaitReadyAndUp(timeout, nodes.stream().filter(Node::isAlive).toList());
  }

  /** Starts a new process on a node's ports (after it exited) without waiting for it. */
  public void startAgain(Node node) {
    if (node.isAlive()) {
      throw new IllegalStateException(node + " is still running");
    }
    launch(node);
  }

  /** SIGKILL: a crash, no shutdown hooks, no leave. Returns when the process is gone. */
  public void killNode(Node node) {
    node.process.kill();
  }

  /**
   * SIGSTOP: the whole JVM freezes (as in a long GC pause or VM steal): no heartbeats, no answers,
   * but its sockets stay open, and its mailboxes, requests and driver writes wait for it.
   */
  public void pause(Node node) {
    signal(node, "STOP");
    node.paused = true;
  }

  /** SIGCONT: a paused node runs on from where it stopped, unaware of the time that passed. */
  public void resume(Node node) {
    signal(node, "CONT");
    node.paused = false;
  }

  private static void signal(Node node, String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid()))
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        kill.destroyForcibly();
        throw new IllegalStateException("kill -" + signal + " " + node.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * SIGTERM: graceful leave through CoordinatedShutdown (shards handed off). Returns when the
   * process exited; fails if it does not exit within {@code timeout}.
   */
  public void stopNode(Node node, Duration timeout) {
    node.process.terminate();
    if (!node.process.awaitExit(timeout)) {
      throw new AssertionError(node + " did not exit within " + timeout.toSeconds() + " s");
    }
  }

  private volatile long lastUpNanos = System.nanoTime();

  /** How long ago the last (re)started node was seen ready and Up by all. */
  public Duration sinceLastJoin() {
    return Duration.ofNanos(System.nanoTime() - lastUpNanos);
  }

  /** Waits until the given nodes are ready and every one of them sees exactly them, all Up. */
  public void awaitReadyAndUp(Duration timeout, List<Node> expected) {
    awaitMembers(timeout, expected);
    lastUpNanos = System.nanoTime();
  }

  private void awaitMembers(Duration timeout, List<Node> expected) {
    Set<String> addresses = expected.stream().map(Node::address).collect(Collectors.toSet());
    await(
        "nodes " + addresses + " ready and Up (logs in " + logs + ")",
        timeout,
        () -> {
          expected.forEach(this::requireRunning);
          return expected.stream()
              .allMatch(n -> status(n, "/health/ready") == 200 && upMembers(n).equals(addresses));
        },
        () -> describe(expected) + "\n" + CLUSTER_EVENTS_HEADER + clusterEvents());
  }

  /** Fails at once, with the end of its log, if a node we wait for has exited. */
  private void requireRunning(Node node) {
    if (node.process == null) {
      throw new AssertionError(node + " was never started");
    }
    if (!node.isAlive()) {
      throw new AssertionError(
          node
              + " exited with code "
              + node.process.exitCode()
              + "; the end of its log "
              + node.logFile()
              + ":\n"
              + tail(node.logFile(), 40)
              + "\n"
              + CLUSTER_EVENTS_HEADER
              + clusterEvents());
    }
  }

  /**
   * A JUnit handler that adds {@link #clusterEvents()} of the test's current cluster to a failed
   * assertion's message (a node's log is gone with the CI machine; the message is what is left).
   */
  public static org.junit.jupiter.api.extension.TestExecutionExceptionHandler
      addClusterEventsOnFailure(java.util.function.Supplier<ForkedCluster> current) {
    return (context, error) -> {
      ForkedCluster cluster = current.get();
      if (cluster == null
          || !(error instanceof AssertionError)
          || String.valueOf(error.getMessage()).contains(CLUSTER_EVENTS_HEADER)) {
        throw error;
      }
      AssertionError withEvents =
          new AssertionError(
              error.getMessage()
                  + "\n"
                  + CLUSTER_EVENTS_HEADER
                  + cluster.clusterEvents()
                  + cluster.entityLines(String.valueOf(error.getMessage())),
              error);
      throw withEvents;
    };
  }

  private static final String CLUSTER_EVENTS_HEADER = "what the nodes logged about the cluster:";

  /** Log lines that say why a member was downed: reachability, heartbeats, SBR decisions. */
  private static final java.util.regex.Pattern CLUSTER_EVENT =
      java.util.regex.Pattern.compile(
          "Marking (node|unreachable node)|REACHABLE|SBR (took|is downing|found)|Leader is"
              + " (removing|moving)|heartbeat interval is growing|heartbeat was delayed"
              + "|Welcome from|Shutting down myself|Downing|down-all|quarantined this node");

  /**
   * The last cluster events of every node's current log (see {@link #CLUSTER_EVENT}): on a CI
   * machine the logs are gone after the run, so a failure message has to carry them.
   */
  public String clusterEvents() {
    StringBuilder events = new StringBuilder();
    for (Node n : nodes) {
      if (n.process == null) {
        continue;
      }
      events.append("\n  node ").append(n.index).append(" (").append(n.logFile()).append("):");
      try {
        List<String> matching =
            java.nio.file.Files.readAllLines(n.logFile()).stream()
                .filter(line -> CLUSTER_EVENT.matcher(line).find())
                .map(line -> line.length() > 260 ? line.substring(0, 260) + "..." : line)
                .toList();
        matching
            .subList(Math.max(0, matching.size() - 25), matching.size())
            .forEach(line -> events.append("\n    ").append(line));
      } catch (IOException | RuntimeException e) {
        events.append(" (unreadable: ").append(e).append(")");
      }
    }
    return events.toString();
  }

  /** An entity named in a failure message ("entity account/a-1 did not answer ..."). */
  private static final java.util.regex.Pattern NAMED_ENTITY =
      java.util.regex.Pattern.compile("entity [a-z][a-z0-9-]*/([A-Za-z0-9_.-]+)");

  /**
   * What each node logged about the first entities a failure message names (their restarts, journal
   * failures, settled writes): a stalled entity's story, which the CI machine's logs take with
   * them.
   */
  String entityLines(String message) {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>();
    java.util.regex.Matcher named = NAMED_ENTITY.matcher(message);
    while (named.find() && ids.size() < 2) {
      ids.add(named.group(1));
    }
    StringBuilder text = new StringBuilder();
    for (String id : ids) {
      text.append("\nwhat the nodes logged about ").append(id).append(':');
      for (Node n : nodes) {
        if (n.process == null) {
          continue;
        }
        try {
          List<String> matching =
              java.nio.file.Files.readAllLines(n.logFile()).stream()
                  .filter(line -> line.contains(id))
                  .map(line -> line.length() > 300 ? line.substring(0, 300) + "..." : line)
                  .toList();
          text.append("\n  node ").append(n.index).append(": ").append(matching.size());
          text.append(" lines");
          matching
              .subList(Math.max(0, matching.size() - 8), matching.size())
              .forEach(line -> text.append("\n    ").append(line));
        } catch (IOException | RuntimeException e) {
          text.append("\n  node ").append(n.index).append(": unreadable (").append(e);
          text.append(')');
        }
      }
    }
    return text.toString();
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = java.nio.file.Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** What each node says about itself and the cluster: the state a failed wait ended in. */
  public String describe(List<Node> observed) {
    StringBuilder state = new StringBuilder();
    for (Node n : observed) {
      state.append("\n  node ").append(n.index).append(" (").append(n.address()).append("): ");
      if (!n.isAlive()) {
        state.append("process not running");
        continue;
      }
      state.append("ready ").append(readiness(n)).append("; members ");
      state.append(
          cluster(n)
              .map(
                  view -> {
                    List<String> members = new ArrayList<>();
                    for (JsonNode m : view.path("members")) {
                      members.add(
                          m.path("address").asText()
                              + " "
                              + m.path("status").asText()
                              + (m.path("reachable").asBoolean(true) ? "" : " unreachable"));
                    }
                    return members.toString();
                  })
              .orElse("(no answer)"));
    }
    return state.toString();
  }

  private String readiness(Node node) {
    try {
      HttpResponse<String> response =
          send(node, HttpRequest.newBuilder().GET(), "/health/ready", Duration.ofSeconds(2));
      return response.statusCode() + " " + response.body().replaceAll("\\s+", " ");
    } catch (IOException e) {
      return "no answer (" + e.getMessage() + ")";
    }
  }

  /** Addresses of the members {@code observer} sees as Up and reachable. */
  public Set<String> upMembers(Node observer) {
    return cluster(observer)
        .map(
            view -> {
              Set<String> up = new java.util.TreeSet<>();
              for (JsonNode member : view.path("members")) {
                if (member.path("status").asText().equals("Up")
                    && member.path("reachable").asBoolean()) {
                  up.add(member.path("address").asText());
                }
              }
              return up;
            })
        .orElse(Set.of());
  }

  /**
   * The oldest member as {@code observer} sees it: the node that hosts the cluster singletons,
   * among them the shard coordinators.
   */
  public Node oldest(Node observer) {
    String oldest = cluster(observer).orElseThrow().path("oldest").asText();
    return nodes.stream().filter(n -> n.address().equals(oldest)).findFirst().orElseThrow();
  }

  /** {@code GET /api/v1/cluster} of a node, if it answers. */
  public Optional<JsonNode> cluster(Node observer) {
    return getJson(observer, "/api/v1/cluster");
  }

  /**
   * The shard of an entity id, as the nodes compute it: Pekko's hash extractor over the configured
   * {@code pekko.cluster.sharding.number-of-shards} (this class path's reference.conf, or a {@code
   * -D} override given to this JVM and passed on to the nodes).
   */
  public static String shardOf(String entityId) {
    int shards =
        com.typesafe.config.ConfigFactory.load().getInt("pekko.cluster.sharding.number-of-shards");
    return org.apache.pekko.cluster.sharding.ShardRegion.HashCodeMessageExtractor$.MODULE$.shardId(
        entityId, shards);
  }

  /** Shard id to node address of one entity type, as {@code observer} reports it. */
  public Map<String, String> shardHomes(Node observer, String type) {
    Map<String, String> homes = new TreeMap<>();
    getJson(observer, "/api/v1/cluster/shards")
        .ifPresent(
            shards ->
                shards
                    .path(type)
                    .properties()
                    .forEach(
                        node ->
                            node.getValue()
                                .path("shards")
                                .properties()
                                .forEach(shard -> homes.put(shard.getKey(), node.getKey()))));
    return homes;
  }

  /** Status of a GET on the node's Pekko Management endpoint (e.g. /ready), -1 without answer. */
  public int managementStatus(Node node, String path) {
    try {
      return CLIENT
          .send(
              HttpRequest.newBuilder()
                  .uri(URI.create("http://127.0.0.1:" + node.managementPort + path))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  public int status(Node node, String path) {
    try {
      return send(node, HttpRequest.newBuilder().GET(), path, Duration.ofSeconds(2)).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  public Optional<JsonNode> getJson(Node node, String path) {
    try {
      HttpResponse<String> response =
          send(node, HttpRequest.newBuilder().GET(), path, Duration.ofSeconds(5));
      return response.statusCode() == 200
          ? Optional.of(EntityJson.MAPPER.readTree(response.body()))
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** POSTs a command; the response (status and body), or an IOException on connection failure. */
  public HttpResponse<String> post(Node node, String path, String json, Duration timeout)
      throws IOException {
    return send(
        node,
        HttpRequest.newBuilder()
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)),
        path,
        timeout);
  }

  /** POSTs a command with an Idempotency-Key. */
  public HttpResponse<String> post(
      Node node, String path, String json, String idempotencyKey, Duration timeout)
      throws IOException {
    return send(
        node,
        HttpRequest.newBuilder()
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", idempotencyKey)
            .POST(HttpRequest.BodyPublishers.ofString(json)),
        path,
        timeout);
  }

  /**
   * POSTs a keyed command again while the answer is 503 (allowed by the contract, e.g. an entity's
   * first start on a just-formed cluster outlasting the ask timeout), as a client would, for up to
   * 60 s; the key makes the retries apply once.
   */
  public HttpResponse<String> postUntilNot503(
      Node node, String path, String json, String idempotencyKey) throws IOException {
    AtomicReference<HttpResponse<String>> response = new AtomicReference<>();
    try {
      Awaitility.await("a non-503 answer to POST " + path)
          .atMost(Duration.ofSeconds(60))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(100)) // a client's pause before it sends again
          .dontCatchUncaughtExceptions()
          .until(
              () -> {
                response.set(post(node, path, json, idempotencyKey, Duration.ofSeconds(10)));
                return response.get().statusCode() != 503;
              });
    } catch (ConditionTimeoutException e) {
      // still 503 after 60 s: the caller judges the last answer
    }
    return response.get();
  }

  public HttpResponse<String> get(Node node, String path, Duration timeout) throws IOException {
    return send(node, HttpRequest.newBuilder().GET(), path, timeout);
  }

  public HttpResponse<String> delete(Node node, String path, Duration timeout) throws IOException {
    return send(node, HttpRequest.newBuilder().DELETE(), path, timeout);
  }

  private HttpResponse<String> send(
      Node node, HttpRequest.Builder request, String path, Duration timeout) throws IOException {
    try {
      return CLIENT.send(
          request
              .uri(URI.create("http://127.0.0.1:" + node.httpPort + path))
              .timeout(timeout)
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Polls {@code condition} every 100 ms until it holds; fails after {@code timeout}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    await(what, timeout, condition, () -> "");
  }

  /**
   * As {@link #await(String, Duration, BooleanSupplier)}; on timeout the message also carries
   * {@code lastState}, read at the deadline, so that a failure on CI says what was not yet so.
   */
  public static void await(
      String what, Duration timeout, BooleanSupplier condition, Supplier<String> lastState) {
    try {
      Awaitility.await(what)
          .atMost(timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(100))
          // failures of other threads (e.g. a workload's clients) are their owners' to report
          .dontCatchUncaughtExceptions()
          .until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "timed out after " + timeout.toSeconds() + " s waiting for " + what + lastState.get(), e);
    }
  }

  /** The admin token of {@link #chaosEnvironment()} clusters. */
  public static final String ADMIN_TOKEN = "fault-suite-admin-token";

  /**
   * Environment of a cluster whose nodes accept the partition chaos action: Artery's test mode
   * (STARFISH_CHAOS) and an admin token.
   */
  public static Map<String, String> chaosEnvironment() {
    return Map.of("STARFISH_CHAOS", "on", "STARFISH_ADMIN_TOKEN", ADMIN_TOKEN);
  }

  // ---- faults -------------------------------------------------------------------------------

  /** Stops every node at once, gracefully (SIGTERM to all), and waits until all have exited. */
  public void stopAllNodes(Duration timeout) {
    List<Node> running = nodes.stream().filter(Node::isAlive).toList();
    // A paused process would hold SIGTERM pending: let it run first.
    running.stream().filter(Node::isPaused).forEach(this::resume);
    running.forEach(n -> n.process.terminate());
    for (Node node : running) {
      if (!node.process.awaitExit(timeout)) {
        throw new AssertionError(node + " did not exit within " + timeout.toSeconds() + " s");
      }
    }
  }

  /**
   * Starts a stopped node again with another build of the application: {@code mainClass} (which
   * calls {@code StarfishNode.run}), as a rolling upgrade does; it keeps that build afterwards.
   */
  public void upgradeNode(Node node, String mainClass, Duration timeout) {
    node.mainClass = mainClass;
    restartNode(node, timeout);
  }

  /**
   * Cuts all cluster traffic between {@code a} and {@code b}, both directions (Artery test-mode
   * blackhole, set on {@code a}). HTTP and Cassandra traffic of both stay up.
   */
  public void partition(Node a, Node b) {
    admin(a, "POST", "{\"peers\":[\"" + b.address() + "\"]}", 200);
  }

  /** Cuts {@code node} from every other node of the cluster. */
  public void isolate(Node node) {
    String peers =
        nodes.stream()
            .filter(n -> n != node)
            .map(n -> "\"" + n.address() + "\"")
            .collect(Collectors.joining(","));
    admin(node, "POST", "{\"peers\":[" + peers + "]}", 200);
  }

  /** Heals every cut on every live node. */
  public void heal() {
    nodes.stream().filter(Node::isAlive).forEach(n -> admin(n, "DELETE", null, 200));
  }

  private void admin(Node node, String method, String body, int expectedStatus) {
    try {
      HttpResponse<String> response =
          send(
              node,
              HttpRequest.newBuilder()
                  .header("Authorization", "Bearer " + ADMIN_TOKEN)
                  .header("Content-Type", "application/json")
                  .method(
                      method,
                      body == null
                          ? HttpRequest.BodyPublishers.noBody()
                          : HttpRequest.BodyPublishers.ofString(body)),
              "/api/v1/admin/partition",
              Duration.ofSeconds(10));
      if (response.statusCode() != expectedStatus) {
        throw new AssertionError(
            method
                + " partition on "
                + node
                + ": "
                + response.statusCode()
                + " "
                + response.body());
      }
    } catch (IOException e) {
      throw new AssertionError(method + " partition on " + node + " failed", e);
    }
  }

  /** Stops the shared test Cassandra (SIGTERM, as an operator or a crashing host would). */
  public void stopCassandra() {
    TestCassandra.stop();
  }

  /** Kills the shared test Cassandra ({@code kill -9}), as a crash of the storage node. */
  public void killCassandra() {
    TestCassandra.kill();
  }

  /** Starts the shared test Cassandra again, on the same data directory and ports. */
  public void startCassandra() {
    TestCassandra.instance();
  }

  /**
   * How long the cluster may take to notice a dead or cut-off node and reach a new stable
   * membership, from the timing settings the nodes run with (this class path's configuration, as
   * the forked nodes use it): failure detection (heartbeat-interval + acceptable-heartbeat-pause,
   * plus three intervals of phi margin), the split-brain decision (stable-after plus its tick),
   * removal (two leader ticks + down-removal-margin) and gossip (five rounds). Deadlines in the
   * fault suite are a multiple of this, never fixed sleeps.
   */
  public static Duration expectedHealingTime() {
    com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.load();
    Duration heartbeat = config.getDuration("pekko.cluster.failure-detector.heartbeat-interval");
    Duration pause =
        config.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause");
    Duration stableAfter = config.getDuration("pekko.cluster.split-brain-resolver.stable-after");
    Duration leader = config.getDuration("pekko.cluster.leader-actions-interval");
    Duration gossip = config.getDuration("pekko.cluster.gossip-interval");
    Duration margin =
        config.getString("pekko.cluster.down-removal-margin").equals("off")
            ? stableAfter
            : config.getDuration("pekko.cluster.down-removal-margin");
    return heartbeat
        .multipliedBy(4)
        .plus(pause)
        .plus(stableAfter)
        .plus(Duration.ofSeconds(1)) // Pekko's SBR tick, at most (Starfish's is 100 ms)
        .plus(leader.multipliedBy(2))
        .plus(margin)
        .plus(gossip.multipliedBy(5));
  }

  /**
   * Waits until every live node is ready and sees exactly the live nodes as Up and reachable
   * members; the deadline is {@code factor} times {@link #expectedHealingTime()} (a loaded 2-core
   * CI machine needs a generous factor; the time it really took is returned).
   */
  public Duration awaitStable(int factor) {
    long start = System.nanoTime();
    Duration deadline = expectedHealingTime().multipliedBy(factor);
    awaitReadyAndUp(deadline, nodes.stream().filter(Node::isAlive).toList());
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Stops every node still running: SIGTERM, then SIGKILL after 20 s. */
  @Override
  public void close() {
    List<Node> running = nodes.stream().filter(Node::isAlive).toList();
    // A paused process would hold SIGTERM pending: let it run first.
    running.stream().filter(Node::isPaused).forEach(this::resume);
    running.forEach(n -> n.process.terminate());
    for (Node node : running) {
      if (!node.process.awaitExit(Duration.ofSeconds(20))) {
        node.process.kill();
      }
    }
  }

  /** Pekko's default timing settings, as JVM options, for comparisons with Starfish's. */
  public static Map<String, String> pekkoDefaultTimings() {
    Map<String, String> env = new HashMap<>();
    env.put(
        "JAVA_TOOL_OPTIONS",
        String.join(
            " ",
            "-Dpekko.cluster.downing-provider-class=org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
            "-Dpekko.cluster.split-brain-resolver.stable-after=20s",
            "-Dpekko.cluster.down-removal-margin=off",
            "-Dpekko.cluster.failure-detector.heartbeat-interval=1s",
            "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=3s",
            "-Dpekko.cluster.unreachable-nodes-reaper-interval=1s",
            "-Dpekko.cluster.leader-actions-interval=1s",
            "-Dpekko.cluster.gossip-interval=1s",
            "-Dpekko.cluster.sharding.retry-interval=2s",
            "-Dpekko.cluster.sharding.handoff-timeout=60s",
            "-Dpekko.cluster.sharding.rebalance-interval=10s",
            "-Dpekko.cluster.sharding.entity-restart-backoff=10s",
            "-Dpekko.cluster.sharding.waiting-for-state-timeout=2s",
            "-Dpekko.cluster.sharding.shard-failure-backoff=10s"));
    return env;
  }
}
