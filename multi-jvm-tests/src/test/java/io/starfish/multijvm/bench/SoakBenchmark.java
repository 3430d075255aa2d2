package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * False-downing soak: a 3-node cluster with Starfish's timing settings under steady HTTP load for a
 * fixed time, with no fault injected. Every unreachability and every downing seen in that time is a
 * false one. Counts them from the membership views (polled every 500 ms) and from the node logs.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify -Dbench.args="soak
 * --minutes 30 --clients 16"}. Writes {@code target/bench/soak.md}.
 */
public final class SoakBenchmark {

  public static void main(String[] args) throws Exception {
    int minutes = 30;
    int clients = 16;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--minutes" -> minutes = Integer.parseInt(args[++i]);
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    AtomicLong connectionErrors = new AtomicLong();
    long unreachableObservations = 0;
    long notUpObservations = 0;
    Instant started = Instant.now();
    String logSummary;
    try (ForkedCluster cluster =
        new ForkedCluster(
            "soak-" + java.time.LocalTime.now().withNano(0).toString().replace(":", ""),
            3,
            Map.of(),
            384)) {
      TestCassandra.instance();
      cluster.start(Duration.ofMinutes(3));
      List<Node> nodes = cluster.nodes();
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      for (int c = 0; c < clients; c++) {
        int client = c;
        pool.submit(
            () -> {
              long i = 0;
              while (System.nanoTime() < end) {
                Node via = nodes.get((int) (i % 3));
                String id = "soak-" + client + "-" + (i % 50);
                try {
                  HttpResponse<String> response =
                      cluster.post(
                          via,
                          "/api/v1/entities/account/" + id,
                          "{\"type\":\"deposit\",\"amount\":1}",
                          Duration.ofSeconds(10));
                  statuses
                      .computeIfAbsent(response.statusCode(), s -> new AtomicLong())
                      .incrementAndGet();
                } catch (IOException e) {
                  connectionErrors.incrementAndGet();
                  // a refused connection returns at once: back off instead of spinning
                  sleepQuietly(Duration.ofMillis(100));
                }
                i++;
              }
            });
      }
      long nextReport = System.nanoTime();
      while (System.nanoTime() < end) {
        for (Node observer : nodes) {
          JsonNode view = cluster.cluster(observer).orElse(null);
          if (view == null) {
            continue;
          }
          for (JsonNode member : view.path("members")) {
            if (!member.path("reachable").asBoolean()) {
              unreachableObservations++;
            }
            if (!member.path("status").asText().equals("Up")) {
              notUpObservations++;
            }
          }
        }
        if (System.nanoTime() > nextReport) {
          System.out.printf(
              "[soak] %s elapsed, responses %s, connection errors %d, unreachable observations"
                  + " %d%n",
              Duration.between(started, Instant.now()).withNanos(0),
              statuses,
              connectionErrors.get(),
              unreachableObservations);
          nextReport = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        }
        Thread.sleep(500); // membership poll interval
      }
      pool.shutdown();
      pool.awaitTermination(30, TimeUnit.SECONDS);
      logSummary = countInLogs(nodes);
    } finally {
      TestCassandra.stop();
    }
    String report =
        String.format(
            "Soak %s, %d min, %d clients: responses by status %s, connection errors %d;"
                + " membership observations not reachable: %d, not Up: %d; logs: %s%n",
            started,
            minutes,
            clients,
            statuses,
            connectionErrors.get(),
            unreachableObservations,
            notUpObservations,
            logSummary);
    Files.writeString(out.resolve("soak.md"), report);
    System.out.println(report);
  }

  private static String countInLogs(List<Node> nodes) throws IOException {
    long unreachable = 0;
    long downed = 0;
    for (Node node : nodes) {
      for (String line : Files.readAllLines(node.logFile())) {
        unreachable += line.contains("Marking node as UNREACHABLE") ? 1 : 0;
        downed += line.contains("SBR took decision") ? 1 : 0;
      }
    }
    return "\"Marking node as UNREACHABLE\" x" + unreachable + ", \"SBR took decision\" x" + downed;
  }

  private static void sleepQuietly(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
