package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.multijvm.ForkedCluster;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap bytes per active, idle entity: one Starfish node (a cluster of one, 2 GiB heap, passivation
 * and remember-entities off so that nothing else changes), the live heap after a full GC ({@code
 * jcmd GC.run}, then {@code GC.heap_info}) before and after reading 100k {@code counter} entities
 * into memory (each read starts the entity, which recovers from Cassandra: no events), and the
 * node's RSS.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify
 * -Dbench.args="memory"} (options: {@code --entities 100000}). Writes {@code
 * target/bench/memory.json} and {@code memory.md}.
 */
public final class MemoryBenchmark {

  private static final int HEAP_MB = 2048;
  private static final int WARM_UP_ENTITIES = 1000;

  public static void main(String[] args) throws Exception {
    int entities = 100_000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--entities" -> entities = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    ObjectNode result = EntityJson.MAPPER.createObjectNode();
    try {
      TestCassandra.instance();
      // With remember-entities off nothing touches the journal at start, and on a fresh
      // Cassandra a node then waits for its tables (readiness names journal-schema) until the
      // first entity starts: one node with the defaults creates them first.
      try (ForkedCluster schema = new ForkedCluster("bench-memory-schema", 1, Map.of(), 384)) {
        say("creating the journal's tables with a default node");
        schema.start(Duration.ofMinutes(3));
      }
      Map<String, String> env =
          Map.of(
              "JAVA_TOOL_OPTIONS",
              "-Dpekko.cluster.sharding.remember-entities=off"
                  + " -Dstarfish.sharding.passivate-idle-after=off");
      try (ForkedCluster cluster = new ForkedCluster("bench-memory", 1, env, HEAP_MB)) {
        say("starting one node with a " + HEAP_MB + " MiB heap");
        cluster.start(Duration.ofMinutes(3));
        ForkedCluster.Node node = cluster.node(1);
        // Every shard started and the read path compiled before the first measurement.
        activate(node, "warm-", WARM_UP_ENTITIES);
        long before = liveHeapKiB(node.pid());
        long rssBefore =
            ThroughputBenchmark.rssOf("starfish", "node", node.pid(), HEAP_MB).rssMiB();
        say("live heap before: " + before / 1024 + " MiB");
        long start = System.nanoTime();
        activate(node, "mem-", entities);
        double seconds = (System.nanoTime() - start) / 1e9;
        long running = BenchSupport.runningEntities(cluster, node, "counter");
        long after = liveHeapKiB(node.pid());
        long rssAfter = ThroughputBenchmark.rssOf("starfish", "node", node.pid(), HEAP_MB).rssMiB();
        double perEntity = (after - before) * 1024.0 / entities;
        say(
            String.format(
                "live heap after %d entities: %d MiB; %.0f bytes per entity; %d counters running",
                entities, after / 1024, perEntity, running));
        result.put("date", Instant.now().toString());
        result.put("entities", entities);
        result.put("entitiesRunningAfter", running);
        result.put("secondsToActivate", seconds);
        result.put("liveHeapBeforeKiB", before);
        result.put("liveHeapAfterKiB", after);
        result.put("heapBytesPerEntity", perEntity);
        result.put("rssBeforeMiB", rssBefore);
        result.put("rssAfterMiB", rssAfter);
        result.put("heapMaxMiB", HEAP_MB);
      }
    } finally {
      TestCassandra.stop();
    }
    String md =
        String.format(
            "Memory benchmark, %s%n%n| entities | running after | activated in (s) | live heap"
                + " before (MiB) | live heap after (MiB) | heap bytes per entity | RSS before"
                + " (MiB) | RSS after (MiB) |%n|---|---|---|---|---|---|---|---|%n| %d | %d |"
                + " %.1f | %d | %d | %.0f | %d | %d |%n",
            result.path("date").asText(),
            result.path("entities").asInt(),
            result.path("entitiesRunningAfter").asLong(),
            result.path("secondsToActivate").asDouble(),
            result.path("liveHeapBeforeKiB").asLong() / 1024,
            result.path("liveHeapAfterKiB").asLong() / 1024,
            result.path("heapBytesPerEntity").asDouble(),
            result.path("rssBeforeMiB").asLong(),
            result.path("rssAfterMiB").asLong());
    Files.writeString(out.resolve("memory.md"), md);
    Files.writeString(
        out.resolve("memory.json"),
        EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    System.out.println(md);
    say("written " + out.resolve("memory.md") + " and memory.json");
  }

  /** Reads {@code count} counters (64 at a time), which starts each of them. */
  private static void activate(ForkedCluster.Node node, String prefix, int count)
      throws InterruptedException {
    List<Integer> failed =
        BenchSupport.sendAll(
            "read " + prefix + "*",
            count,
            64,
            10_000,
            i ->
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + node.httpPort
                                + "/api/v1/entities/counter/"
                                + prefix
                                + i))
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build());
    if (!failed.isEmpty()) {
      say(failed.size() + " of " + count + " reads failed");
    }
  }

  private static final Pattern USED = Pattern.compile("total \\d+K, used (\\d+)K");

  /** The heap in use right after a full GC, by jcmd. */
  private static long liveHeapKiB(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher used = USED.matcher(info);
    if (!used.find()) {
      throw new IOException("no heap size in jcmd's answer:\n" + info);
    }
    return Long.parseLong(used.group(1));
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid),
                command)
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed:\n" + output);
    }
    return output;
  }

  private static void say(String line) {
    BenchSupport.say(line);
  }
}
