package io.starfish.multijvm.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.multijvm.ForkedCluster;
import io.starfish.sharding.EntityJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Persisted commands per second through the HTTP API of a 3-node cluster on loopback, at several
 * concurrency levels, with latency percentiles, measured by wrk (Debian package {@code wrk}):
 * Starfish's {@code counter} and {@code account}, then the plain Pekko baseline ({@link
 * PlainPekkoNode}) on the same Cassandra, then the raw write rate of the Cassandra driver inserting
 * journal-shaped rows into the same node. Also the resident set size of every process after load.
 *
 * <p>Every request goes to node 1 (one wrk process; its percentiles are exact), which routes it
 * through sharding: about two thirds of the entities live on the other nodes. Each request is one
 * command on a random one of 1000 entities and is one journal write.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify
 * -Dbench.args="throughput"} (options: {@code --levels 4,16,64 --seconds 20 --systems
 * starfish,plain-pekko,raw-cassandra --warm-up 90 --hot on --cassandra single --workloads
 * counter,account} (--workloads: which of Starfish's two are measured; --hot: also one hot entity
 * under every connection, workload "counter-hot"; {@code --hot only}: that workload alone; {@code
 * --cassandra ring}: on a ring of three Cassandra nodes, three replicas, QUORUM, see {@link
 * BenchCassandra}); "starfish" runs the example application as it ships, with events-by-tag off;
 * also {@code starfish-tagged}: with events-by-tag on (the cost of tagging, and the lag of the
 * account-balances view); also {@code starfish-unfenced}: Starfish with the plugin's unfenced
 * journal, for the cost of fencing). Writes {@code target/bench/throughput.json} and {@code
 * throughput.md}.
 */
public final class ThroughputBenchmark {

  private static final int ENTITIES = 1000;
  private static final int HEAP_MB = 384;

  /**
   * Load before the first measurement of each workload (--warm-up): on 2 cores the JIT of three
   * node JVMs is still compiling after 30 s, and the first workload measured on fresh JVMs then
   * loses against the later ones.
   */
  private static int warmUpSeconds = 90;

  /**
   * Whether each system also gets the hot-entity workload (--hot on|off): every request goes to the
   * same counter, so the entity's write path is the limit (Starfish's group commit against Pekko's
   * one write at a time).
   */
  private static boolean hot = true;

  /** The round being measured (--rounds): every system runs once per round. */
  private static int round = 1;

  /**
   * Only the hot-entity workload (--hot only): no 1000-entity workloads, and the hot entity gets
   * the whole warm-up.
   */
  private static boolean hotOnly;

  /** Starfish's workloads to measure (--workloads): counter, account or both. */
  private static List<String> starfishWorkloads = List.of("counter", "account");

  /** The Cassandra of the run (--cassandra single|ring). */
  private static BenchCassandra cassandra;

  record Result(
      int round,
      String system,
      String workload,
      int concurrency,
      long requests,
      double seconds,
      long failed,
      double okPerSecond,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double p999Ms,
      double maxMs) {}

  record Rss(String system, String process, long pid, long rssMiB, long heapMaxMiB) {}

  public static void main(String[] args) throws Exception {
    List<Integer> levels = List.of(4, 16, 64);
    int seconds = 20;
    List<String> systems = List.of("starfish", "plain-pekko", "raw-cassandra");
    int rounds = 1;
    String cassandraKind = "single";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--levels" ->
            levels = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--systems" -> systems = List.of(args[++i].split(","));
        case "--warm-up" -> warmUpSeconds = Integer.parseInt(args[++i]);
        case "--hot" -> {
          String value = args[++i];
          hot = !value.equals("off");
          hotOnly = value.equals("only");
        }
        case "--cassandra" -> cassandraKind = args[++i];
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--workloads" -> starfishWorkloads = List.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    requireWrk();
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    Path script = out.resolve("post.lua");
    try (InputStream lua = ThroughputBenchmark.class.getResourceAsStream("/bench/post.lua")) {
      Files.write(script, lua.readAllBytes());
    }
    List<Result> results = new ArrayList<>();
    List<Rss> rss = new ArrayList<>();
    try {
      cassandra = BenchCassandra.start(cassandraKind);
      for (round = 1; round <= rounds; round++) {
        // Alternate the order: neither the first place (a fresher machine, or a noisier one)
        // nor the last favours one system in every round.
        List<String> order = new ArrayList<>(systems);
        if (round % 2 == 0) {
          java.util.Collections.reverse(order);
        }
        for (String system : order) {
          say("round " + round + " of " + rounds + ": " + system);
          runSystem(system, levels, seconds, script, results, rss);
        }
      }
    } finally {
      if (cassandra != null) {
        cassandra.close();
      }
    }
    report(results, rss, levels, seconds, out);
  }

  // ---- the systems under load ----

  private static void runSystem(
      String system,
      List<Integer> levels,
      int seconds,
      Path script,
      List<Result> results,
      List<Rss> rss)
      throws Exception {
    switch (system) {
      case "starfish" -> starfish("starfish", Map.of(), levels, seconds, script, results, rss);
      case "starfish-unfenced" ->
          // Starfish without the journal's fence: what single-writer fencing costs.
          starfish(
              "starfish-unfenced",
              Map.of(
                  "JAVA_TOOL_OPTIONS",
                  "-Dpekko.persistence.cassandra.journal.class="
                      + "org.apache.pekko.persistence.cassandra.journal.CassandraJournal"),
              levels,
              seconds,
              script,
              results,
              rss);
      case "starfish-no-group-commit" ->
          // Starfish writing one command at a time, as Pekko does: what group commit gives.
          starfish(
              "starfish-no-group-commit",
              Map.of("JAVA_TOOL_OPTIONS", "-Dstarfish.sharding.group-commit-max-batch=1"),
              levels,
              seconds,
              script,
              results,
              rss);
      case "starfish-tagged" ->
          // Starfish with events-by-tag on: account (streamed, feeding a view) is then
          // written twice per event (journal and tag table). What tagging costs.
          starfish(
              "starfish-tagged",
              Map.of("STARFISH_EVENTS_BY_TAG", "on"),
              levels,
              seconds,
              script,
              results,
              rss);
      case "plain-pekko" -> plainPekko(levels, seconds, script, results, rss);
      case "raw-cassandra" -> rawCassandra(levels, seconds, results);
      default -> {
        // "name=-Dkey=value|-Dkey=value": Starfish with those JVM options (what one setting
        // changes, measured against "starfish" in the same run).
        String[] nameAndOptions = system.split("=", 2);
        if (nameAndOptions.length < 2) {
          throw new IllegalArgumentException("unknown system " + system);
        }
        starfish(
            nameAndOptions[0],
            Map.of("JAVA_TOOL_OPTIONS", nameAndOptions[1].replace('|', ' ')),
            levels,
            seconds,
            script,
            results,
            rss);
      }
    }
  }

  private static void starfish(
      String name,
      Map<String, String> environment,
      List<Integer> levels,
      int seconds,
      Path script,
      List<Result> results,
      List<Rss> rss)
      throws Exception {
    try (ForkedCluster cluster =
        new ForkedCluster(
            "bench-throughput-" + name,
            3,
            cassandra.environment(ownKeyspaces(name, environment), keyspace(name)),
            HEAP_MB)) {
      cluster.useCassandra(cassandra.contactPoints());
      say(name + ": starting 3 nodes");
      cluster.start(Duration.ofMinutes(3));
      String base = "http://127.0.0.1:" + cluster.node(1).httpPort;
      // Each system its own entities: the systems of a run share one Cassandra, and an account
      // with an earlier system's (untagged) history would be a different workload, and a view
      // meeting it would first read that history.
      Map<String, String[]> workloads = new LinkedHashMap<>();
      workloads.put(
          "counter",
          new String[] {
            "/api/v1/entities/counter/" + name + "-", "{\"type\":\"increment\",\"by\":1}"
          });
      workloads.put(
          "account",
          new String[] {
            "/api/v1/entities/account/" + name + "-", "{\"type\":\"deposit\",\"amount\":1}"
          });
      workloads.keySet().retainAll(starfishWorkloads);
      if (hotOnly) {
        workloads.clear();
      }
      for (Map.Entry<String, String[]> workload : workloads.entrySet()) {
        String[] spec = workload.getValue();
        prime(name + " " + workload.getKey(), base, spec[0], spec[1]);
        say(name + " " + workload.getKey() + ": warm-up");
        wrk(script, base, spec[0], spec[1], 16, warmUpSeconds);
        for (int level : levels) {
          results.add(
              result(
                  name,
                  workload.getKey(),
                  level,
                  wrk(script, base, spec[0], spec[1], level, seconds)));
          say(results.get(results.size() - 1).toString());
        }
      }
      if (hot) {
        hotEntity(
            name,
            script,
            base,
            "/api/v1/entities/counter/hot-",
            "{\"type\":\"increment\",\"by\":1}",
            levels,
            seconds,
            results);
      }
      if ("on".equals(environment.get("STARFISH_EVENTS_BY_TAG"))) {
        viewLags.add(viewLag(name, cluster, "account-balances"));
        say(viewLags.get(viewLags.size() - 1).toString());
      }
      for (ForkedCluster.Node node : cluster.nodes()) {
        rss.add(rssOf(name, "node " + node.index, node.pid(), HEAP_MB));
      }
      addCassandraRss(name, rss);
    }
  }

  /**
   * The environment with JVM options that give this system's run keyspaces of its own: the systems
   * and rounds of a run share one Cassandra, and a cluster would otherwise start by restarting the
   * entities an earlier one remembered (same type names, same shard store ids).
   */
  static Map<String, String> ownKeyspaces(String system, Map<String, String> environment) {
    String keyspace = keyspace(system);
    Map<String, String> env = new java.util.HashMap<>(environment);
    env.merge(
        "JAVA_TOOL_OPTIONS",
        "-Dpekko.persistence.cassandra.journal.keyspace="
            + keyspace
            + " -Dpekko.persistence.cassandra.snapshot.keyspace="
            + keyspace
            + "_snapshot",
        (given, keyspaces) -> keyspaces + " " + given);
    return env;
  }

  /** The journal keyspace of a system in the current round (its snapshots: that + "_snapshot"). */
  static String keyspace(String system) {
    return ("tp_" + system + "_" + round).replaceAll("[^A-Za-z0-9_]", "_");
  }

  private static void addCassandraRss(String system, List<Rss> rss) {
    List<Long> pids = cassandra.pids();
    for (int i = 0; i < pids.size(); i++) {
      rss.add(
          rssOf(system, pids.size() == 1 ? "Cassandra" : "Cassandra " + (i + 1), pids.get(i), -1));
    }
  }

  /** The lag of one view over the whole run (its histogram, summed over the nodes). */
  record ViewLag(String system, String view, long events, String p50, String p99, double meanS) {}

  private static final List<ViewLag> viewLags = new ArrayList<>();

  private static ViewLag viewLag(String system, ForkedCluster cluster, String view)
      throws IOException {
    java.util.TreeMap<Double, Double> buckets = new java.util.TreeMap<>();
    double count = 0;
    double sum = 0;
    String label = "view=\"" + view + "\"";
    for (ForkedCluster.Node node : cluster.nodes()) {
      for (String line : cluster.get(node, "/metrics", Duration.ofSeconds(10)).body().split("\n")) {
        if (!line.contains(label)) {
          continue;
        }
        double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        if (line.startsWith("starfish_view_lag_seconds_bucket")) {
          String le = line.replaceAll(".*le=\"([^\"]+)\".*", "$1");
          buckets.merge(
              le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le),
              value,
              Double::sum);
        } else if (line.startsWith("starfish_view_lag_seconds_count")) {
          count += value;
        } else if (line.startsWith("starfish_view_lag_seconds_sum")) {
          sum += value;
        }
      }
    }
    return new ViewLag(
        system,
        view,
        (long) count,
        quantile(buckets, count, 0.5),
        quantile(buckets, count, 0.99),
        count > 0 ? sum / count : 0);
  }

  /** The bucket bound under which a fraction {@code q} of the observations fall ("≤ 2.0 s"). */
  private static String quantile(
      java.util.TreeMap<Double, Double> buckets, double count, double q) {
    if (count == 0) {
      return "n/a";
    }
    for (Map.Entry<Double, Double> bucket : buckets.entrySet()) {
      if (bucket.getValue() >= q * count) {
        return bucket.getKey().isInfinite() ? "> 120 s" : "≤ " + bucket.getKey() + " s";
      }
    }
    return "n/a";
  }

  private static void plainPekko(
      List<Integer> levels, int seconds, Path script, List<Result> results, List<Rss> rss)
      throws Exception {
    try (PlainPekkoCluster cluster =
        new PlainPekkoCluster(
            3,
            HEAP_MB,
            cassandra.environment(ownKeyspaces("plain-pekko", Map.of()), keyspace("plain-pekko")),
            cassandra.onePoint())) {
      say("plain-pekko: starting 3 nodes");
      cluster.start(Duration.ofMinutes(3));
      String base = "http://127.0.0.1:" + cluster.httpPorts.get(0);
      String prefix = "/counter/tp-";
      String body = "{\"by\":1}";
      if (!hotOnly) {
        prime("plain-pekko counter", base, prefix, body);
        say("plain-pekko counter: warm-up");
        wrk(script, base, prefix, body, 16, warmUpSeconds);
      }
      for (int level : hotOnly ? List.<Integer>of() : levels) {
        results.add(
            result(
                "plain-pekko", "counter", level, wrk(script, base, prefix, body, level, seconds)));
        say(results.get(results.size() - 1).toString());
      }
      if (hot) {
        hotEntity("plain-pekko", script, base, "/counter/hot-", body, levels, seconds, results);
      }
      for (int i = 0; i < cluster.processes.size(); i++) {
        rss.add(rssOf("plain-pekko", "node " + (i + 1), cluster.processes.get(i).pid(), HEAP_MB));
      }
    }
  }

  /**
   * One counter under every connection (workload "counter-hot"): the entity's own write path is the
   * limit. A short warm-up first (the JVMs are warm from the main workload).
   */
  private static void hotEntity(
      String system,
      Path script,
      String base,
      String prefix,
      String body,
      List<Integer> levels,
      int seconds,
      List<Result> results)
      throws IOException, InterruptedException {
    say(system + " counter-hot: warm-up");
    wrk(script, base, prefix, body, 16, hotOnly ? warmUpSeconds : 10, 1);
    for (int level : levels) {
      results.add(
          result(system, "counter-hot", level, wrk(script, base, prefix, body, level, seconds, 1)));
      say(results.get(results.size() - 1).toString());
    }
  }

  /**
   * The Cassandra driver inserting rows shaped like the journal's (same columns as
   * pekko-persistence -cassandra's messages table, a 24-byte event) into the same node, with as
   * many inserts in flight as the HTTP benchmark has connections: the storage limit that
   * persistence works under.
   */
  private static void rawCassandra(List<Integer> levels, int seconds, List<Result> results)
      throws Exception {
    String contactPoint = cassandra.onePoint();
    int colon = contactPoint.lastIndexOf(':');
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(
                new InetSocketAddress(
                    contactPoint.substring(0, colon),
                    Integer.parseInt(contactPoint.substring(colon + 1))))
            .withLocalDatacenter("datacenter1")
            .build()) {
      session.execute(
          "CREATE KEYSPACE IF NOT EXISTS bench_raw WITH replication ="
              + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute(
          "CREATE TABLE IF NOT EXISTS bench_raw.messages (persistence_id text, partition_nr bigint,"
              + " sequence_nr bigint, timestamp timeuuid, timebucket text, writer_uuid text,"
              + " ser_id int, ser_manifest text, event_manifest text, event blob,"
              + " meta_ser_id int, meta_ser_manifest text, meta blob, tags set<text>,"
              + " PRIMARY KEY ((persistence_id, partition_nr), sequence_nr, timestamp))");
      PreparedStatement insert =
          session.prepare(
              "INSERT INTO bench_raw.messages (persistence_id, partition_nr, sequence_nr,"
                  + " timestamp, timebucket, writer_uuid, ser_id, ser_manifest, event_manifest,"
                  + " event, tags) VALUES (?, 0, ?, ?, ?, ?, 33, ?, '', ?, {})");
      Map<Integer, AtomicLong> sequences = new ConcurrentHashMap<>();
      String writer = java.util.UUID.randomUUID().toString();
      byte[] event = new byte[24];
      new java.util.Random(1).nextBytes(event);
      say("raw-cassandra: warm-up");
      rawLevel(session, insert, sequences, writer, event, 16, 15);
      for (int level : levels) {
        results.add(rawLevel(session, insert, sequences, writer, event, level, seconds));
        say(results.get(results.size() - 1).toString());
      }
      session.execute("DROP KEYSPACE bench_raw");
    }
  }

  private static Result rawLevel(
      CqlSession session,
      PreparedStatement insert,
      Map<Integer, AtomicLong> sequences,
      String writer,
      byte[] event,
      int inFlight,
      int seconds)
      throws InterruptedException {
    Semaphore slots = new Semaphore(inFlight);
    LatencyRecorder latencies = new LatencyRecorder();
    AtomicLong failed = new AtomicLong();
    java.util.Random random = new java.util.Random();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      slots.acquire();
      int entity = random.nextInt(ENTITIES);
      long sequenceNr = sequences.computeIfAbsent(entity, e -> new AtomicLong()).incrementAndGet();
      long sent = System.nanoTime();
      session
          .executeAsync(
              insert.bind(
                  "raw-" + entity,
                  sequenceNr,
                  Uuids.timeBased(),
                  "20261123T22",
                  writer,
                  "io.starfish.runtime.examples.Counter$Incremented",
                  ByteBuffer.wrap(event)))
          .whenComplete(
              (rs, error) -> {
                if (error == null) {
                  latencies.record(System.nanoTime() - sent);
                } else {
                  failed.incrementAndGet();
                }
                slots.release();
              });
    }
    slots.acquire(inFlight);
    double elapsed = (System.nanoTime() - start) / 1e9;
    return latencies.result("raw-cassandra", "journal-row insert", inFlight, failed.get(), elapsed);
  }

  /**
   * Starts every one of the benchmark's entities with one command (16 at a time) before anything is
   * measured: an entity's first command waits for its start (remember-entities write, journal
   * recovery), which is not what the throughput figures are about. Prints the activation rate.
   */
  private static void prime(String what, String base, String prefix, String body)
      throws InterruptedException {
    long start = System.nanoTime();
    List<Integer> failed =
        BenchSupport.sendAll(
            what,
            ENTITIES,
            16,
            0,
            i ->
                HttpRequest.newBuilder(URI.create(base + prefix + (i + 1)))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build());
    double seconds = BenchSupport.seconds(start);
    say(
        String.format(
            "%s: started %d entities in %.1f s (%.0f/s, first command each), %d failed",
            what, ENTITIES, seconds, ENTITIES / seconds, failed.size()));
  }

  // ---- wrk ----

  private static void requireWrk() {
    if (!Files.isExecutable(Path.of("/usr/bin/wrk"))) {
      throw new IllegalStateException(
          "wrk is not installed: sudo apt-get install -y wrk (Debian package), then run again");
    }
  }

  private static JsonNode wrk(
      Path script, String base, String prefix, String body, int connections, int seconds)
      throws IOException, InterruptedException {
    return wrk(script, base, prefix, body, connections, seconds, ENTITIES);
  }

  /** As above, spreading the requests over {@code entities} entities (1: one hot entity). */
  private static JsonNode wrk(
      Path script,
      String base,
      String prefix,
      String body,
      int connections,
      int seconds,
      int entities)
      throws IOException, InterruptedException {
    int threads = Math.min(2, connections);
    ProcessBuilder builder =
        new ProcessBuilder(
                "/usr/bin/wrk",
                "-t" + threads,
                "-c" + connections,
                "-d" + seconds + "s",
                "--timeout",
                "10s",
                "-s",
                script.toString(),
                base)
            .redirectErrorStream(true);
    builder.environment().put("BENCH_PATH_PREFIX", prefix);
    builder.environment().put("BENCH_BODY", body);
    builder.environment().put("BENCH_ENTITIES", Integer.toString(entities));
    Process process = builder.start();
    String resultLine = null;
    StringBuilder output = new StringBuilder();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        output.append(line).append('\n');
        if (line.startsWith("BENCH_RESULT ")) {
          resultLine = line.substring("BENCH_RESULT ".length());
        }
      }
    }
    if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || resultLine == null) {
      process.destroyForcibly();
      throw new IOException("wrk gave no result:\n" + output);
    }
    return EntityJson.MAPPER.readTree(resultLine);
  }

  private static Result result(String system, String workload, int connections, JsonNode wrk) {
    long requests = wrk.path("requests").asLong();
    long failed = wrk.path("non2xx").asLong() + wrk.path("socketErrors").asLong();
    double seconds = wrk.path("durationUs").asLong() / 1e6;
    return new Result(
        round,
        system,
        workload,
        connections,
        requests,
        seconds,
        failed,
        (requests - failed) / seconds,
        wrk.path("p50").asLong() / 1000.0,
        wrk.path("p90").asLong() / 1000.0,
        wrk.path("p99").asLong() / 1000.0,
        wrk.path("p999").asLong() / 1000.0,
        wrk.path("max").asLong() / 1000.0);
  }

  // ---- memory ----

  static Rss rssOf(String system, String process, long pid, long heapMaxMiB) {
    long kib = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      say("cannot read the RSS of pid " + pid + ": " + e);
    }
    return new Rss(system, process, pid, kib < 0 ? -1 : kib / 1024, heapMaxMiB);
  }

  // ---- latencies of the raw writer ----

  /** Latencies in nanoseconds, kept in full (a few million longs at most) and sorted at the end. */
  static final class LatencyRecorder {
    private long[] values = new long[1 << 16];
    private int size;

    synchronized void record(long nanos) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = nanos;
    }

    synchronized Result result(
        String system, String workload, int concurrency, long failed, double seconds) {
      long[] sorted = Arrays.copyOf(values, size);
      Arrays.sort(sorted);
      return new Result(
          round,
          system,
          workload,
          concurrency,
          size + failed,
          seconds,
          failed,
          size / seconds,
          percentile(sorted, 50),
          percentile(sorted, 90),
          percentile(sorted, 99),
          percentile(sorted, 99.9),
          sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }
  }

  // ---- report ----

  private static void report(
      List<Result> results, List<Rss> rss, List<Integer> levels, int seconds, Path out)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("Throughput benchmark, ")
        .append(Instant.now())
        .append(", ")
        .append(seconds)
        .append(" s per level, ")
        .append(ENTITIES)
        .append(" entities, Cassandra ")
        .append(io.starfish.persistence.embedded.EmbeddedCassandra.version())
        .append(
            cassandra != null && cassandra.isRing()
                ? " (a ring of 3 on loopback, 3 replicas, QUORUM)"
                : " (one local node)")
        .append(", JDK ")
        .append(System.getProperty("java.version"))
        .append(", ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores\n\n");
    md.append("| round | system | workload | concurrency | requests | failed | ok/s | p50 ms |")
        .append(" p90 ms | p99 ms | p99.9 ms | max ms |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    ArrayNode json = EntityJson.MAPPER.createArrayNode();
    for (Result r : results) {
      md.append(
          String.format(
              "| %d | %s | %s | %d | %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
              r.round(),
              r.system(),
              r.workload(),
              r.concurrency(),
              r.requests(),
              r.failed(),
              r.okPerSecond(),
              r.p50Ms(),
              r.p90Ms(),
              r.p99Ms(),
              r.p999Ms(),
              r.maxMs()));
      json.add(EntityJson.MAPPER.valueToTree(r));
    }
    // Ratios, each computed within a round (the systems of one round ran minutes apart) and then
    // given as the median over the rounds with their range: the machine's drift between rounds
    // is larger than most differences measured here.
    md.append("\n| system | workload | concurrency | / plain Pekko (same workload, else counter) |")
        .append(" / starfish (same workload) | / raw Cassandra inserts |\n")
        .append("|---|---|---|---|---|---|\n");
    List<String> systemsRun = results.stream().map(Result::system).distinct().toList();
    for (String system : systemsRun) {
      if (system.equals("raw-cassandra")) {
        continue;
      }
      for (String workload :
          results.stream()
              .filter(r -> r.system().equals(system))
              .map(Result::workload)
              .distinct()
              .toList()) {
        boolean plainHasIt =
            results.stream()
                .anyMatch(r -> r.system().equals("plain-pekko") && r.workload().equals(workload));
        for (int level : levels) {
          md.append(
              String.format(
                  "| %s | %s | %d | %s | %s | %s |%n",
                  system,
                  workload,
                  level,
                  system.equals("plain-pekko")
                      ? "-"
                      : ratio(
                          results,
                          system,
                          workload,
                          "plain-pekko",
                          plainHasIt ? workload : "counter",
                          level),
                  system.equals("starfish")
                      ? "-"
                      : ratio(results, system, workload, "starfish", workload, level),
                  ratio(results, system, workload, "raw-cassandra", "journal-row insert", level)));
        }
      }
    }
    if (!viewLags.isEmpty()) {
      md.append("\n| system | view | events applied | lag p50 | lag p99 | lag mean s |\n")
          .append("|---|---|---|---|---|---|\n");
      for (ViewLag lag : viewLags) {
        md.append(
            String.format(
                "| %s | %s | %d | %s | %s | %.2f |%n",
                lag.system(), lag.view(), lag.events(), lag.p50(), lag.p99(), lag.meanS()));
      }
    }
    md.append("\n| system | process | pid | RSS MiB | heap max MiB |\n|---|---|---|---|---|\n");
    ArrayNode rssJson = EntityJson.MAPPER.createArrayNode();
    for (Rss r : rss) {
      md.append(
          String.format(
              "| %s | %s | %d | %d | %s |%n",
              r.system(),
              r.process(),
              r.pid(),
              r.rssMiB(),
              r.heapMaxMiB() < 0 ? "(Cassandra's own)" : Long.toString(r.heapMaxMiB())));
      rssJson.add(EntityJson.MAPPER.valueToTree(r));
    }
    ObjectNode all = EntityJson.MAPPER.createObjectNode();
    all.put("date", Instant.now().toString());
    all.put("secondsPerLevel", seconds);
    all.set("results", json);
    all.set("rss", rssJson);
    Files.writeString(out.resolve("throughput.md"), md);
    Files.writeString(
        out.resolve("throughput.json"),
        EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
    System.out.println(md);
    say("written " + out.resolve("throughput.md") + " and throughput.json");
  }

  private static double rate(
      List<Result> results, int round, String system, String workload, int level) {
    return results.stream()
        .filter(
            r ->
                r.round() == round
                    && r.system().equals(system)
                    && r.workload().equals(workload)
                    && r.concurrency() == level)
        .mapToDouble(Result::okPerSecond)
        .findFirst()
        .orElse(Double.NaN);
  }

  /** a / b per round, as "median (min–max)" over the rounds where both ran; "-" if none did. */
  private static String ratio(
      List<Result> results,
      String systemA,
      String workloadA,
      String systemB,
      String workloadB,
      int level) {
    double[] ratios =
        results.stream()
            .mapToInt(Result::round)
            .distinct()
            .mapToDouble(
                round ->
                    rate(results, round, systemA, workloadA, level)
                        / rate(results, round, systemB, workloadB, level))
            .filter(r -> !Double.isNaN(r))
            .sorted()
            .toArray();
    if (ratios.length == 0) {
      return "-";
    }
    int middle = ratios.length / 2;
    String median =
        String.format(
            "%.2f",
            ratios.length % 2 == 1 ? ratios[middle] : (ratios[middle - 1] + ratios[middle]) / 2);
    return ratios.length == 1
        ? median
        : String.format(
            "%s (%.2f–%.2f, %d rounds)",
            median, ratios[0], ratios[ratios.length - 1], ratios.length);
  }

  static void say(String line) {
    BenchSupport.say(line);
  }
}
