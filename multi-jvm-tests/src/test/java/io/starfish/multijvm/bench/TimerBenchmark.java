package io.starfish.multijvm.bench;

import static io.starfish.multijvm.bench.BenchSupport.say;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.multijvm.ForkedCluster;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * Durable timers at scale: {@code --timers} reservations (10,000) held across a 3-node cluster,
 * their expiries spread over {@code --spread} seconds after all are created, their entities
 * passivated long before; then how late each expired (its {@code expired} event's journal time
 * minus its {@code expiresAt}), p50/p90/p99/max, and how many did not expire. With {@code --kill},
 * node 2 is killed ({@code kill -9}) 5 s before the first expiry: its sweepers and entities move.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify -Dbench.args="timers
 * --timers 10000 --spread 60 --create-seconds 300 [--kill]"}. Writes {@code target/bench/timers.md}
 * and {@code timers.json}.
 */
public final class TimerBenchmark {

  private TimerBenchmark() {}

  public static void main(String[] args) throws Exception {
    int timers = 10_000;
    int spreadS = 60;
    int createS = 300;
    boolean kill = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--timers" -> timers = Integer.parseInt(args[++i]);
        case "--spread" -> spreadS = Integer.parseInt(args[++i]);
        case "--create-seconds" -> createS = Integer.parseInt(args[++i]);
        case "--kill" -> kill = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    TestCassandra.instance();
    try (ForkedCluster cluster =
        new ForkedCluster(
            "bench-timers",
            3,
            // holds wait passivated, as thousands would for days
            Map.of("JAVA_TOOL_OPTIONS", "-Dstarfish.sharding.passivate-idle-after=20s"),
            384)) {
      say("timers: starting 3 nodes");
      cluster.start(Duration.ofMinutes(3));
      long start = System.currentTimeMillis();
      long firstDue = start + createS * 1000L;
      int count = timers;
      int spread = spreadS;
      List<ForkedCluster.Node> nodes = cluster.nodes();
      List<Integer> failed =
          BenchSupport.sendAll(
              "holds",
              count,
              32,
              1000,
              i -> {
                long due = firstDue + (long) spread * 1000L * i / count;
                long inSeconds = Math.max(1, (due - System.currentTimeMillis() + 999) / 1000);
                return HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + nodes.get(i % 3).httpPort
                                + "/api/v1/entities/reservation/t-"
                                + i))
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", "hold-t-" + i)
                    .timeout(Duration.ofSeconds(30))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"type\":\"hold\",\"seats\":1,\"expiresInSeconds\":"
                                + inSeconds
                                + "}"))
                    .build();
              });
      double createdIn = (System.currentTimeMillis() - start) / 1000.0;
      say(String.format("timers: %d holds in %.0f s, %d failed", count, createdIn, failed.size()));
      ForkedCluster.Node observer = cluster.node(1);
      if (kill) {
        long killAt = firstDue - 5_000;
        ForkedCluster.await(
            "5 s before the first expiry",
            Duration.ofMillis(Math.max(1, killAt - System.currentTimeMillis()) + 60_000),
            () -> System.currentTimeMillis() >= killAt);
        say("timers: kill -9 " + cluster.node(2));
        cluster.killNode(cluster.node(2));
      }
      long lastDue = firstDue + spread * 1000L;
      long deadline = Math.max(lastDue, System.currentTimeMillis()) + 300_000;
      int expected = count - failed.size();
      List<Integer> sweeping = kill ? List.of(1, 3) : List.of(1, 2, 3);
      try {
        org.awaitility.Awaitility.await("every timer fired")
            .atMost(Duration.ofMillis(deadline - System.currentTimeMillis()))
            .pollInterval(Duration.ofSeconds(5))
            .until(
                () -> {
                  long fired = accepted(cluster, sweeping);
                  say(String.format("timers: %d of %d fired", fired, expected));
                  return fired >= expected && System.currentTimeMillis() > lastDue;
                });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        say("timers: not all fired within 5 minutes of the last expiry; reporting what did");
      }
      say("timers: reading every reservation's events");
      List<Double> lateness = Collections.synchronizedList(new ArrayList<>());
      ConcurrentLinkedQueue<String> notExpired = new ConcurrentLinkedQueue<>();
      HttpClient http = HttpClient.newHttpClient();
      Semaphore slots = new Semaphore(16);
      for (int i = 0; i < count; i++) {
        if (failed.contains(i)) {
          continue;
        }
        String id = "t-" + i;
        slots.acquire();
        http.sendAsync(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + observer.httpPort
                                + "/api/v1/entities/reservation/"
                                + id
                                + "/events"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .whenComplete(
                (response, error) -> {
                  try {
                    Double late = error == null ? lateness(response.body()) : null;
                    if (late == null) {
                      notExpired.add(id);
                    } else {
                      lateness.add(late);
                    }
                  } catch (Exception e) {
                    notExpired.add(id);
                  } finally {
                    slots.release();
                  }
                });
      }
      slots.acquire(16);
      report(
          out, count, spread, createdIn, kill, failed.size(), lateness, notExpired.size(), start);
    } finally {
      TestCassandra.stop();
    }
  }

  /** Seconds from expiresAt to the expired event's write, or null if it has not expired. */
  private static Double lateness(String historyJson) throws Exception {
    JsonNode events = EntityJson.MAPPER.readTree(historyJson).get("events");
    Instant expiresAt = null;
    Instant expired = null;
    for (JsonNode event : events) {
      if (event.get("type").asText().equals("held")) {
        expiresAt = Instant.parse(event.at("/event/expiresAt").asText());
      } else if (event.get("type").asText().equals("expired")) {
        expired = Instant.parse(event.get("timestamp").asText());
      }
    }
    return expiresAt == null || expired == null
        ? null
        : Duration.between(expiresAt, expired).toMillis() / 1000.0;
  }

  /** Timer deliveries settled "accepted" on these nodes' sweepers. */
  private static long accepted(ForkedCluster cluster, List<Integer> nodes) {
    long total = 0;
    for (int index : nodes) {
      try {
        for (String line :
            cluster
                .get(cluster.node(index), "/metrics", Duration.ofSeconds(10))
                .body()
                .split("\n")) {
          if (line.startsWith("starfish_timers_fired_total")
              && line.contains("outcome=\"accepted\"")) {
            total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      } catch (Exception e) {
        // a node that does not answer counts nothing this time
      }
    }
    return total;
  }

  private static void report(
      Path out,
      int count,
      int spread,
      double createdIn,
      boolean kill,
      int failedHolds,
      List<Double> lateness,
      int notExpired,
      long start)
      throws Exception {
    List<Double> sorted = lateness.stream().sorted().toList();
    double p50 = quantile(sorted, 0.5);
    double p90 = quantile(sorted, 0.9);
    double p99 = quantile(sorted, 0.99);
    double max = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
    String md =
        String.format(
            "Timer benchmark, %s, %d holds created in %.0f s (%d failed), expiries spread over %d s%s%n%n"
                + "| expired | not expired | lateness p50 s | p90 s | p99 s | max s |%n"
                + "|---|---|---|---|---|---|%n"
                + "| %d | %d | %.2f | %.2f | %.2f | %.2f |%n",
            Instant.ofEpochMilli(start),
            count,
            createdIn,
            failedHolds,
            spread,
            kill ? ", node 2 killed 5 s before the first expiry" : "",
            sorted.size(),
            notExpired,
            p50,
            p90,
            p99,
            max);
    ObjectNode json = EntityJson.MAPPER.createObjectNode();
    json.put("holds", count);
    json.put("createdInS", createdIn);
    json.put("spreadS", spread);
    json.put("kill", kill);
    json.put("expired", sorted.size());
    json.put("notExpired", notExpired);
    json.put("p50S", p50);
    json.put("p90S", p90);
    json.put("p99S", p99);
    json.put("maxS", max);
    String name = kill ? "timers-kill" : "timers";
    Files.writeString(out.resolve(name + ".md"), md);
    Files.writeString(
        out.resolve(name + ".json"),
        EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    System.out.println(md);
    say("written " + out.resolve(name + ".md"));
  }

  private static double quantile(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }
}
