package io.starfish.multijvm.bench;

import static io.starfish.multijvm.bench.BenchSupport.say;

import io.starfish.multijvm.ForkedCluster;
import io.starfish.persistence.testing.TestCassandra;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Entity activation (issue 19, target 3): how many entities per second a 3-node cluster starts.
 * Three measurements per variant, each on entities no earlier step touched: <b>create</b> (the
 * first command to a new entity: a remember-entities write, a recovery that finds nothing, the
 * first event's write), <b>read</b> (a GET of a never-written entity: the start and the recovery
 * alone) and <b>restart</b> (all nodes stopped and started again; from the start of the processes
 * to all remembered entities running again). Requests go to the three nodes in turn, {@code
 * --in-flight} at a time. A variant is Starfish with extra JVM options ({@code name=-Dkey=value
 * -Dkey=value}), so each setting's effect is measured against the defaults in the same run ({@code
 * |} separates options, as the Maven exec plugin splits its arguments at spaces); {@code --rounds}
 * runs the variants in turn again (alternating, so that neither order nor the machine's drift
 * favours one), and the report gives every round.
 *
 * <p>{@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify -Dbench.args="activation
 * --entities 1000 --in-flight 32 --rounds 2 --variants 'defaults;ddata=-Dpekko...'"}
 */
final class ActivationBenchmark {

  private static final int HEAP_MB = 384;

  record Variant(String name, String javaOptions) {}

  record Result(
      int round,
      String variant,
      double createPerS,
      double readPerS,
      double restartS,
      long failed) {}

  private ActivationBenchmark() {}

  public static void main(String[] args) throws Exception {
    int entities = 1000;
    int inFlight = 32;
    int rounds = 1;
    int warmUp = 300;
    boolean restart = true;
    List<Variant> variants = List.of(new Variant("defaults", ""));
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--entities" -> entities = Integer.parseInt(args[++i]);
        case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--warm-up" -> warmUp = Integer.parseInt(args[++i]);
        case "--restart" -> restart = args[++i].equals("on");
        case "--variants" -> variants = parse(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    List<Result> results = new ArrayList<>();
    try {
      TestCassandra.instance();
      for (int round = 1; round <= rounds; round++) {
        // Alternate the order: neither the first place nor the machine's drift over the run
        // favours one variant in every round.
        List<Variant> order = new ArrayList<>(variants);
        if (round % 2 == 0) {
          java.util.Collections.reverse(order);
        }
        for (Variant variant : order) {
          results.add(run(round, variant, entities, inFlight, warmUp, restart));
          say(results.get(results.size() - 1).toString());
        }
      }
    } finally {
      TestCassandra.stop();
    }
    report(results, entities, inFlight, out);
  }

  private static List<Variant> parse(String spec) {
    List<Variant> variants = new ArrayList<>();
    for (String part : spec.split(";")) {
      String[] nameAndOptions = part.trim().split("=", 2);
      variants.add(
          new Variant(
              nameAndOptions[0],
              nameAndOptions.length > 1 ? nameAndOptions[1].replace('|', ' ') : ""));
    }
    return variants;
  }

  private static Result run(
      int round, Variant variant, int entities, int inFlight, int warmUp, boolean restart)
      throws Exception {
    // Keyspaces of its own per run: the runs share one Cassandra, and a cluster would otherwise
    // restart the entities an earlier run remembered (under the same shard store ids) at its start.
    String keyspace = ("act_" + variant.name() + "_" + round).replaceAll("[^A-Za-z0-9_]", "_");
    Map<String, String> environment =
        Map.of(
            "JAVA_TOOL_OPTIONS",
            ("-Dpekko.persistence.cassandra.journal.keyspace="
                    + keyspace
                    + " -Dpekko.persistence.cassandra.snapshot.keyspace="
                    + keyspace
                    + "_snapshot "
                    + variant.javaOptions())
                .trim());
    String prefix = variant.name() + "-r" + round + "-";
    try (ForkedCluster cluster =
        new ForkedCluster("bench-activation-" + variant.name(), 3, environment, HEAP_MB)) {
      say(variant.name() + " (round " + round + "): starting 3 nodes");
      cluster.start(Duration.ofMinutes(3));
      // The JIT and the plugins' prepared statements first: the first starts of a fresh node are
      // slower than any later ones, and are not what this measures.
      long failed =
          send(cluster, "warm-up", warmUp, inFlight, i -> post(cluster, prefix + "w" + i)).size();
      long start = System.nanoTime();
      failed +=
          send(cluster, "create", entities, inFlight, i -> post(cluster, prefix + "c" + i)).size();
      double createPerS = entities / BenchSupport.seconds(start);
      start = System.nanoTime();
      failed +=
          send(cluster, "read", entities, inFlight, i -> get(cluster, prefix + "r" + i)).size();
      double readPerS = entities / BenchSupport.seconds(start);
      double restartS = Double.NaN;
      if (restart) {
        long running = BenchSupport.runningEntities(cluster, cluster.node(1), "counter");
        say(variant.name() + ": " + running + " counters running; stopping all nodes");
        cluster.stopAllNodes(Duration.ofMinutes(2));
        start = System.nanoTime();
        cluster.start(Duration.ofMinutes(5));
        ForkedCluster.await(
            "all " + running + " remembered counters running again",
            Duration.ofMinutes(10),
            () -> BenchSupport.runningEntities(cluster, cluster.node(1), "counter") >= running);
        restartS = BenchSupport.seconds(start);
      }
      return new Result(round, variant.name(), createPerS, readPerS, restartS, failed);
    }
  }

  private static List<Integer> send(
      ForkedCluster cluster,
      String what,
      int count,
      int inFlight,
      java.util.function.IntFunction<HttpRequest> request)
      throws InterruptedException {
    List<Integer> failed = BenchSupport.sendAll(what, count, inFlight, 0, request);
    say(what + ": " + count + " requests, " + failed.size() + " failed");
    return failed;
  }

  private static HttpRequest post(ForkedCluster cluster, String id) {
    return HttpRequest.newBuilder(uri(cluster, id))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"increment\",\"by\":1}"))
        .build();
  }

  private static HttpRequest get(ForkedCluster cluster, String id) {
    return HttpRequest.newBuilder(uri(cluster, id)).timeout(Duration.ofSeconds(30)).GET().build();
  }

  /** The nodes in turn, by the id's hash: each node takes a third of the HTTP traffic. */
  private static URI uri(ForkedCluster cluster, String id) {
    ForkedCluster.Node node =
        cluster.nodes().get(Math.floorMod(id.hashCode(), cluster.nodes().size()));
    return URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/entities/counter/" + id);
  }

  private static void report(List<Result> results, int entities, int inFlight, Path out)
      throws Exception {
    StringBuilder md = new StringBuilder();
    md.append("\n| round | variant | create /s | read /s | full restart to all running (s) |")
        .append(" failed |\n|---|---|---|---|---|---|\n");
    for (Result r : results) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %.0f | %.0f | %.1f | %d |%n",
              r.round(),
              r.variant(),
              r.createPerS(),
              r.readPerS(),
              r.restartS(),
              r.failed()));
    }
    Map<String, List<Result>> byVariant = new LinkedHashMap<>();
    results.forEach(r -> byVariant.computeIfAbsent(r.variant(), v -> new ArrayList<>()).add(r));
    md.append("\n| variant | create /s (min–max) | read /s (min–max) | restart s (min–max) |\n")
        .append("|---|---|---|---|\n");
    byVariant.forEach(
        (variant, rs) ->
            md.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s |%n",
                    variant,
                    range(rs.stream().mapToDouble(Result::createPerS).toArray(), "%.0f"),
                    range(rs.stream().mapToDouble(Result::readPerS).toArray(), "%.0f"),
                    range(rs.stream().mapToDouble(Result::restartS).toArray(), "%.1f"))));
    String header =
        String.format(
            Locale.ROOT,
            "activation: %d entities per measurement, %d in flight, 3 nodes%n",
            entities,
            inFlight);
    Files.writeString(out.resolve("activation.md"), header + md, StandardCharsets.UTF_8);
    System.out.println(header + md);
  }

  private static String range(double[] values, String format) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    double median =
        sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    return String.format(Locale.ROOT, format, median)
        + (sorted.length > 1
            ? " ("
                + String.format(Locale.ROOT, format, sorted[0])
                + "–"
                + String.format(Locale.ROOT, format, sorted[sorted.length - 1])
                + ")"
            : "");
  }
}
