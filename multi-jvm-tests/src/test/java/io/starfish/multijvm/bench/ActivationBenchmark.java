package io.starfish.multijvm.bench;

import static io.starfish.multijvm.bench.BenchSupport.say;

import io.starfish.multijvm.ForkedCluster;
import io.starfish.persistence.testing.TestCassandra;
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
import java.util.function.IntFunction;

/**
 * Entity activation (issue 19, target 3): how many entities per second a 3-node cluster starts,
 * Starfish and the plain Pekko baseline in the same run, and what each start costs. Three
 * measurements per variant, each on entities no earlier step touched: <b>create</b> (the first
 * command to a new entity: a remember-entities write, a recovery that finds nothing, the first
 * event's write), <b>read</b> (a GET of a never-written entity: the start and the recovery alone)
 * and <b>restart</b> (all nodes stopped and started again; from the start of the processes to all
 * remembered entities running again). For create and read it also reports the CPU time Cassandra
 * and the nodes spent per activation and the Cassandra requests per activation by table ({@link
 * CassandraWork}). Requests go to the three nodes in turn, {@code --in-flight} at a time.
 *
 * <p>Variants: {@code starfish} (the defaults), {@code plain-pekko} (the baseline), or any other
 * name for Starfish with extra JVM options ({@code name=-Dkey=value|-Dkey=value}; {@code |}
 * separates options, as the Maven exec plugin splits its arguments at spaces). {@code --rounds}
 * runs the variants in turn again, alternating the order, and the report gives every round.
 *
 * <p>The warm-up (first commands to {@code --warm-up} entities, 3,000 by default) is long on
 * purpose: with 300, half of every node's CPU during the measurement was the JIT compiler
 * (2026-12-03, JFR's thread CPU load) and Cassandra was as cold, so the figures were those of cold
 * JVMs: a third of the warm rate. The restart is of cold JVMs by nature.
 *
 * <p>{@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify -Dbench.args="activation
 * --entities 1000 --in-flight 16 --rounds 2 --variants 'starfish;plain-pekko'"}
 */
final class ActivationBenchmark {

  private static final int HEAP_MB = 384;

  record Variant(String name, String javaOptions) {
    boolean plainPekko() {
      return name.equals("plain-pekko");
    }
  }

  /** One measured step: activations per second and what one cost. */
  record Step(double perS, CassandraWork.PerUnit cost) {}

  record Result(int round, String variant, Step create, Step read, double restartS, long failed) {}

  private ActivationBenchmark() {}

  public static void main(String[] args) throws Exception {
    int entities = 1000;
    int inFlight = 16;
    int rounds = 1;
    int warmUp = 3000;
    boolean restart = true;
    List<Variant> variants = parse("starfish;plain-pekko");
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
    try (CassandraWork work = new CassandraWork(TestCassandra.instance().contactPoint())) {
      for (int round = 1; round <= rounds; round++) {
        // Alternate the order: neither the first place nor the machine's drift over the run
        // favours one variant in every round.
        List<Variant> order = new ArrayList<>(variants);
        if (round % 2 == 0) {
          java.util.Collections.reverse(order);
        }
        for (Variant variant : order) {
          Result result = run(work, round, variant, entities, inFlight, warmUp, restart);
          results.add(result);
          say(
              String.format(
                  Locale.ROOT,
                  "%s (round %d): create %.0f/s, read %.0f/s, restart %.1f s, %d failed",
                  variant.name(),
                  round,
                  result.create().perS(),
                  result.read().perS(),
                  result.restartS(),
                  result.failed()));
        }
      }
    } finally {
      TestCassandra.stop();
    }
    report(results, entities, inFlight, warmUp, out);
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
      CassandraWork work,
      int round,
      Variant variant,
      int entities,
      int inFlight,
      int warmUp,
      boolean restart)
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
    long cassandraPid = TestCassandra.instance().pid();
    try (ActivationClusters.Nodes nodes =
        variant.plainPekko()
            ? ActivationClusters.plainPekko(
                environment, HEAP_MB, TestCassandra.instance().contactPoint())
            : ActivationClusters.starfish(variant.name(), environment, HEAP_MB)) {
      say(variant.name() + " (round " + round + "): starting 3 nodes");
      nodes.start(Duration.ofMinutes(3));
      // The JIT (of the nodes and of Cassandra) and the plugins' prepared statements first: the
      // first thousands of starts of a fresh node are slower than any later ones, and are not
      // what this measures.
      long failed = send("warm-up", warmUp, inFlight, i -> nodes.create(prefix + "w" + i)).size();
      CassandraWork.Snapshot before = work.snapshot(cassandraPid, nodes.pids());
      long start = System.nanoTime();
      failed += send("create", entities, inFlight, i -> nodes.create(prefix + "c" + i)).size();
      double createPerS = entities / BenchSupport.seconds(start);
      CassandraWork.Snapshot afterCreate = work.snapshot(cassandraPid, nodes.pids());
      start = System.nanoTime();
      failed += send("read", entities, inFlight, i -> nodes.read(prefix + "r" + i)).size();
      double readPerS = entities / BenchSupport.seconds(start);
      CassandraWork.Snapshot afterRead = work.snapshot(cassandraPid, nodes.pids());
      double restartS = Double.NaN;
      if (restart) {
        long running = nodes.running();
        say(variant.name() + ": " + running + " counters running; stopping all nodes");
        nodes.stopAll();
        start = System.nanoTime();
        nodes.start(Duration.ofMinutes(5));
        ForkedCluster.await(
            "all " + running + " remembered counters running again",
            Duration.ofMinutes(10),
            () -> {
              try {
                return nodes.running() >= running;
              } catch (Exception e) {
                return false;
              }
            });
        restartS = BenchSupport.seconds(start);
      }
      return new Result(
          round,
          variant.name(),
          new Step(createPerS, CassandraWork.between(before, afterCreate, entities, keyspace)),
          new Step(readPerS, CassandraWork.between(afterCreate, afterRead, entities, keyspace)),
          restartS,
          failed);
    }
  }

  private static List<Integer> send(
      String what, int count, int inFlight, IntFunction<HttpRequest> request)
      throws InterruptedException {
    List<Integer> failed = BenchSupport.sendAll(what, count, inFlight, 0, request);
    say(what + ": " + count + " requests, " + failed.size() + " failed");
    return failed;
  }

  private static void report(List<Result> results, int entities, int inFlight, int warmUp, Path out)
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
              r.create().perS(),
              r.read().perS(),
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
                    range(rs.stream().mapToDouble(r -> r.create().perS()).toArray(), "%.0f"),
                    range(rs.stream().mapToDouble(r -> r.read().perS()).toArray(), "%.0f"),
                    range(rs.stream().mapToDouble(Result::restartS).toArray(), "%.1f"))));
    md.append("\nPer activation (each round): CPU milliseconds of Cassandra and of the three nodes")
        .append(" together, and Cassandra requests by table (reads as its coordinator counted")
        .append(" them, writes as mutations applied; a lightweight transaction writes")
        .append(" system.paxos three times)\n\n")
        .append("| round | variant | step | Cassandra CPU ms | nodes CPU ms | requests |")
        .append(" requests by table |\n|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      costRow(md, r, "create", r.create().cost());
      costRow(md, r, "read", r.read().cost());
    }
    String header =
        String.format(
            Locale.ROOT,
            "activation: %d entities per measurement, %d in flight, 3 nodes, after a warm-up of"
                + " %d first commands%n",
            entities,
            inFlight,
            warmUp);
    Files.writeString(out.resolve("activation.md"), header + md, StandardCharsets.UTF_8);
    System.out.println(header + md);
  }

  private static void costRow(StringBuilder md, Result r, String step, CassandraWork.PerUnit c) {
    md.append(
        String.format(
            Locale.ROOT,
            "| %d | %s | %s | %.1f | %.1f | %.1f | %s |%n",
            r.round(),
            r.variant(),
            step,
            c.cassandraCpuMs(),
            c.nodesCpuMs(),
            c.total(),
            c.requestSummary()));
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
