package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
 * Heap bytes per active, idle entity: one node (a cluster of one, 2 GiB heap, passivation and
 * remember-entities off so that nothing else changes), the live heap after a full GC ({@code jcmd
 * GC.run}, then {@code GC.heap_info}) before and after reading 100k {@code counter} entities into
 * memory (each read starts the entity, which recovers from Cassandra: no events), and the node's
 * RSS. Once for Starfish and once for the plain Pekko baseline ({@link PlainPekkoNode}: the same
 * counter as a bare EventSourcedBehavior), in that order, so that what Pekko itself costs per
 * entity is measured in the same run.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify
 * -Dbench.args="memory"} (options: {@code --entities 100000 --systems starfish,plain-pekko}).
 * Writes {@code target/bench/memory.json} and {@code memory.md}.
 */
public final class MemoryBenchmark {

  private static final int HEAP_MB = 2048;
  private static final int WARM_UP_ENTITIES = 1000;

  public static void main(String[] args) throws Exception {
    int entities = 100_000;
    List<String> systems = List.of("starfish", "plain-pekko");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--entities" -> entities = Integer.parseInt(args[++i]);
        case "--systems" -> systems = List.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    ArrayNode results = EntityJson.MAPPER.createArrayNode();
    try {
      TestCassandra.instance();
      for (String system : systems) {
        ObjectNode result =
            switch (system) {
              case "starfish" -> starfish(entities);
              case "plain-pekko" -> plainPekko(entities);
              default ->
                  throw new IllegalArgumentException(
                      "--systems takes starfish and plain-pekko, not " + system);
            };
        results.add(result);
      }
    } finally {
      TestCassandra.stop();
    }
    StringBuilder md =
        new StringBuilder(
            String.format(
                "Memory benchmark, %s%n%n| system | entities | running after | activated in (s)"
                    + " | live heap before (MiB) | live heap after (MiB) | heap bytes per entity"
                    + " | RSS before (MiB) | RSS after (MiB) |%n"
                    + "|---|---|---|---|---|---|---|---|---|%n",
                Instant.now()));
    for (JsonNode result : results) {
      md.append(
          String.format(
              "| %s | %d | %d | %.1f | %d | %d | %.0f | %d | %d |%n",
              result.path("system").asText(),
              result.path("entities").asInt(),
              result.path("entitiesRunningAfter").asLong(),
              result.path("secondsToActivate").asDouble(),
              result.path("liveHeapBeforeKiB").asLong() / 1024,
              result.path("liveHeapAfterKiB").asLong() / 1024,
              result.path("heapBytesPerEntity").asDouble(),
              result.path("rssBeforeMiB").asLong(),
              result.path("rssAfterMiB").asLong()));
    }
    if (results.size() == 2) {
      md.append(
          String.format(
              "%n%s / %s, heap bytes per entity: %.2f%n",
              results.get(0).path("system").asText(),
              results.get(1).path("system").asText(),
              results.get(0).path("heapBytesPerEntity").asDouble()
                  / results.get(1).path("heapBytesPerEntity").asDouble()));
    }
    for (JsonNode result : results) {
      md.append(
          String.format(
              "%n%s, what the heap grew by, per entity started (top %d classes)%n%n"
                  + "| class | instances | bytes |%n|---|---|---|%n",
              result.path("system").asText(), TOP_CLASSES));
      for (JsonNode c : result.path("classes")) {
        md.append(
            String.format(
                "| `%s` | %.2f | %.0f |%n",
                c.path("class").asText(),
                c.path("instancesPerEntity").asDouble(),
                c.path("bytesPerEntity").asDouble()));
      }
    }
    Files.writeString(out.resolve("memory.md"), md.toString());
    Files.writeString(
        out.resolve("memory.json"),
        EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(results));
    System.out.println(md);
    say("written " + out.resolve("memory.md") + " and memory.json");
  }

  /**
   * JVM options of both systems' nodes: nothing is remembered and nothing passivated while the
   * entities are read (Pekko's idle passivation, on by default without remember-entities, would
   * stop the first ones read before the last; Starfish's own is off too).
   */
  private static final String KEEP_EVERY_ENTITY =
      "-Dpekko.cluster.sharding.remember-entities=off"
          + " -Dpekko.cluster.sharding.passivation.strategy=none"
          + " -Dstarfish.sharding.passivate-idle-after=off";

  private static ObjectNode starfish(int entities) throws Exception {
    // With remember-entities off nothing touches the journal at start, and on a fresh
    // Cassandra a node then waits for its tables (readiness names journal-schema) until the
    // first entity starts: one node with the defaults creates them first.
    try (ForkedCluster schema = new ForkedCluster("bench-memory-schema", 1, Map.of(), 384)) {
      say("starfish: creating the journal's tables with a default node");
      schema.start(Duration.ofMinutes(3));
    }
    Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", KEEP_EVERY_ENTITY);
    try (ForkedCluster cluster = new ForkedCluster("bench-memory", 1, env, HEAP_MB)) {
      say("starfish: starting one node with a " + HEAP_MB + " MiB heap");
      cluster.start(Duration.ofMinutes(3));
      ForkedCluster.Node node = cluster.node(1);
      String counters = "http://127.0.0.1:" + node.httpPort + "/api/v1/entities/counter/";
      return measure(
          "starfish",
          node.pid(),
          counters,
          entities,
          () -> BenchSupport.runningEntities(cluster, node, "counter"));
    }
  }

  private static ObjectNode plainPekko(int entities) throws Exception {
    Map<String, String> env = ThroughputBenchmark.ownKeyspaces("memory-plain-pekko", Map.of());
    Map<String, String> withOptions = new java.util.HashMap<>(env);
    withOptions.merge("JAVA_TOOL_OPTIONS", KEEP_EVERY_ENTITY, (a, b) -> a + " " + b);
    try (PlainPekkoCluster cluster =
        new PlainPekkoCluster(1, HEAP_MB, withOptions, TestCassandra.instance().contactPoint())) {
      say("plain-pekko: starting one node with a " + HEAP_MB + " MiB heap");
      cluster.start(Duration.ofMinutes(3));
      String base = "http://127.0.0.1:" + cluster.httpPorts.get(0);
      return measure(
          "plain-pekko",
          cluster.processes.get(0).pid(),
          base + "/counter/",
          entities,
          () -> plainRunning(base));
    }
  }

  /** The live heap before and after reading {@code entities} counters under {@code counters}. */
  private static ObjectNode measure(
      String system,
      long pid,
      String counters,
      int entities,
      java.util.function.LongSupplier running)
      throws Exception {
    // Every shard started and the read path compiled before the first measurement.
    activate(counters, "warm-", WARM_UP_ENTITIES);
    long before = liveHeapKiB(pid);
    Map<String, long[]> classesBefore = histogram(pid);
    long rssBefore = ThroughputBenchmark.rssOf(system, "node", pid, HEAP_MB).rssMiB();
    long runningBefore = running.getAsLong();
    say(system + ": live heap before: " + before / 1024 + " MiB, " + runningBefore + " running");
    long start = System.nanoTime();
    activate(counters, "mem-", entities);
    double seconds = (System.nanoTime() - start) / 1e9;
    long runningAfter = running.getAsLong();
    long after = liveHeapKiB(pid);
    // Per entity that started: a read that failed started nothing. The running counts are exact;
    // the number read is the fallback if a count failed (-1, or 0 from a node that did not answer).
    long counted = runningAfter - runningBefore;
    long started = runningBefore >= 0 && runningAfter > 0 && counted > 0 ? counted : entities;
    if (started != entities) {
      say(system + ": " + started + " of " + entities + " entities started");
    }
    // What one entity is made of: the classes whose live instances grew, per entity started.
    ArrayNode classes = EntityJson.MAPPER.createArrayNode();
    Map<String, long[]> classesAfter = histogram(pid);
    classesAfter.entrySet().stream()
        .map(
            e -> {
              long[] was = classesBefore.getOrDefault(e.getKey(), new long[2]);
              return Map.entry(
                  e.getKey(), new long[] {e.getValue()[0] - was[0], e.getValue()[1] - was[1]});
            })
        .filter(e -> e.getValue()[1] > 0)
        .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
        .limit(TOP_CLASSES)
        .forEach(
            e ->
                classes
                    .addObject()
                    .put("class", e.getKey())
                    .put("instancesPerEntity", (double) e.getValue()[0] / started)
                    .put("bytesPerEntity", (double) e.getValue()[1] / started));
    long rssAfter = ThroughputBenchmark.rssOf(system, "node", pid, HEAP_MB).rssMiB();
    double perEntity = (after - before) * 1024.0 / started;
    say(
        String.format(
            "%s: live heap after %d entities: %d MiB; %.0f bytes per entity; %d counters running",
            system, entities, after / 1024, perEntity, runningAfter));
    ObjectNode result = EntityJson.MAPPER.createObjectNode();
    result.put("system", system);
    result.put("date", Instant.now().toString());
    result.put("entities", entities);
    result.put("entitiesRunningAfter", runningAfter);
    result.put("entitiesStarted", started);
    result.put("secondsToActivate", seconds);
    result.put("liveHeapBeforeKiB", before);
    result.put("liveHeapAfterKiB", after);
    result.put("heapBytesPerEntity", perEntity);
    result.put("rssBeforeMiB", rssBefore);
    result.put("rssAfterMiB", rssAfter);
    result.put("heapMaxMiB", HEAP_MB);
    result.set("classes", classes);
    return result;
  }

  /** The plain Pekko node's running counters ({@code GET /entities}); -1 if it did not answer. */
  private static long plainRunning(String base) {
    try {
      java.net.http.HttpResponse<String> response =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(base + "/entities"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200
          ? EntityJson.MAPPER.readTree(response.body()).path("running").asLong(-1)
          : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Reads {@code count} counters (64 at a time), which starts each of them. */
  private static void activate(String counters, String prefix, int count)
      throws InterruptedException {
    List<Integer> failed =
        BenchSupport.sendAll(
            "read " + prefix + "*",
            count,
            64,
            10_000,
            i ->
                HttpRequest.newBuilder(URI.create(counters + prefix + i))
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build());
    if (!failed.isEmpty()) {
      say(failed.size() + " of " + count + " reads failed");
    }
  }

  private static final int TOP_CLASSES = 25;

  private static final Pattern HISTOGRAM_LINE =
      Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)", Pattern.MULTILINE);

  /** Live instances and bytes per class ({@code jcmd GC.class_histogram}, which runs a full GC). */
  private static Map<String, long[]> histogram(long pid) throws IOException, InterruptedException {
    Map<String, long[]> classes = new java.util.HashMap<>();
    Matcher line = HISTOGRAM_LINE.matcher(jcmd(pid, "GC.class_histogram"));
    while (line.find()) {
      classes.merge(
          line.group(3),
          new long[] {Long.parseLong(line.group(1)), Long.parseLong(line.group(2))},
          (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
    }
    return classes;
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
