package io.starfish.runtime.dev;

import io.starfish.persistence.embedded.CassandraStartException;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code ./starfish dev}: an embedded Cassandra (data under {@code .starfish/}) and N Starfish node
 * JVMs on 127.0.0.1, with progress until every node is ready, and an orderly stop (nodes first,
 * then Cassandra) on Ctrl-C or SIGTERM. Node i uses remoting port 25520+i and HTTP port 8080+i (i
 * from 0).
 */
public final class DevLauncher {

  private static final int BASE_REMOTE_PORT = 25520;
  private static final int BASE_HTTP_PORT = 8080;

  private final Path home;
  private final int nodeCount;
  private final int nodeHeapMb;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile EmbeddedCassandra cassandra;
  private volatile boolean stopping;

  DevLauncher(Path home, int nodeCount, int nodeHeapMb) {
    this.home = home;
    this.nodeCount = nodeCount;
    this.nodeHeapMb = nodeHeapMb;
  }

  public static void main(String[] args) throws Exception {
    int nodes = 3;
    int heap = 384;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> nodes = Integer.parseInt(value(args, ++i, "--nodes"));
        case "--node-heap-mb" -> heap = Integer.parseInt(value(args, ++i, "--node-heap-mb"));
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
    if (nodes < 1 || nodes > 9) {
      System.err.println("--nodes must be between 1 and 9");
      System.exit(2);
    }
    DevLauncher launcher = new DevLauncher(Path.of(".starfish").toAbsolutePath(), nodes, heap);
    Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "starfish-dev-stop"));
    try {
      launcher.run();
    } catch (CassandraStartException e) {
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

  private static void usage() {
    System.out.println(
        "usage: ./starfish dev [--nodes N] [--node-heap-mb MB] [--no-build]\n"
            + "  starts an embedded Cassandra and N Starfish nodes (default 3) on 127.0.0.1;\n"
            + "  node i serves HTTP on 8080+i and cluster remoting on 25520+i; Ctrl-C stops all.");
  }

  void run() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(home.resolve("logs"));
    say("Starfish dev: " + nodeCount + " node(s), state in " + home);
    cassandra = EmbeddedCassandra.start(EmbeddedCassandra.Settings.in(home.resolve("cassandra")));

    String seeds =
        java.util.stream.IntStream.range(0, Math.min(nodeCount, 3))
            .mapToObj(i -> "127.0.0.1:" + (BASE_REMOTE_PORT + i))
            .collect(Collectors.joining(","));
    for (int i = 0; i < nodeCount; i++) {
      if (stopping) {
        return;
      }
      NodeProcess node =
          NodeProcess.start(
              i + 1,
              BASE_REMOTE_PORT + i,
              BASE_HTTP_PORT + i,
              seeds,
              cassandra.contactPoint(),
              nodeHeapMb,
              home.resolve("logs").resolve("node-" + (i + 1) + ".log"));
      synchronized (nodes) {
        nodes.add(node);
      }
      say("node " + node.index() + " starting: pid " + node.pid() + ", log " + node.logFile());
    }
    awaitReady(t0);
    printTable();
    say(
        "try:  curl -s -X POST localhost:"
            + BASE_HTTP_PORT
            + "/api/v1/entities/account/a1 -H 'Content-Type: application/json'"
            + " -d '{\"type\":\"deposit\",\"amount\":50}'");
    say("Ctrl-C stops the nodes and Cassandra; the data stays in " + home);
    watchProcesses();
  }

  private void awaitReady(long t0) throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    long nextReport = 0;
    while (!stopping) {
      List<String> status = new ArrayList<>();
      boolean allReady = true;
      for (NodeProcess node : nodes) {
        if (!node.isAlive()) {
          throw new IllegalStateException(
              "node " + node.index() + " exited during start-up; see " + node.logFile());
        }
        String state = readiness(client, node.httpPort());
        allReady &= state.equals("ready");
        status.add("node " + node.index() + ": " + state);
      }
      if (allReady) {
        say(String.format("all %d node(s) ready after %.1f s", nodes.size(), secondsSince(t0)));
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

  private static String readiness(HttpClient client, int port) {
    try {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        return "ready";
      }
      String body = response.body();
      int detail = body.indexOf("\"detail\":\"");
      return detail < 0
          ? "HTTP " + response.statusCode()
          : body.substring(detail + 10, body.indexOf('"', detail + 10));
    } catch (java.io.IOException e) {
      return "starting";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private void printTable() {
    say(String.format("%-6s %-8s %-18s %-24s %s", "node", "pid", "remoting", "http", "rss"));
    say(
        String.format(
            "%-6s %-8s %-18s %-24s %s",
            "cass", cassandra.pid(), "-", "cql " + cassandra.contactPoint(), rss(cassandra.pid())));
    for (NodeProcess node : nodes) {
      say(
          String.format(
              "%-6s %-8d %-18s %-24s %s",
              node.index(),
              node.pid(),
              "127.0.0.1:" + node.remotePort(),
              "http://127.0.0.1:" + node.httpPort(),
              rss(node.pid())));
    }
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
    } catch (java.io.IOException | RuntimeException e) {
      // fall through
    }
    return "?";
  }

  private void watchProcesses() throws InterruptedException {
    while (!stopping) {
      for (NodeProcess node : nodes) {
        if (!node.isAlive() && !node.reportedDead) {
          node.reportedDead = true;
          say(
              "node "
                  + node.index()
                  + " (pid "
                  + node.pid()
                  + ") exited with code "
                  + node.exitCode()
                  + "; see "
                  + node.logFile());
        }
      }
      if (!cassandra.isRunning()) {
        say("Cassandra exited; see " + cassandra.logFile() + ". Stopping.");
        System.exit(1);
      }
      if (stopped.await(1, TimeUnit.SECONDS)) {
        return;
      }
    }
  }

  /** Nodes first (graceful leave), then Cassandra, so the nodes can still write while leaving. */
  void stop() {
    stopping = true;
    List<NodeProcess> toStop;
    synchronized (nodes) {
      toStop = new ArrayList<>(nodes);
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
      cassandra.stop();
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
