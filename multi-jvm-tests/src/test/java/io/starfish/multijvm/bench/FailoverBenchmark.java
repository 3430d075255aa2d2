package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.multijvm.ForkedCluster;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Failover time of a 3-node cluster on loopback: the time from {@code kill -9} of a node that hosts
 * entities until every one of those entities answers again through a survivor, under a light
 * background load, for Pekko's default timing settings and for Starfish's, in the same run. Also
 * records when a survivor first saw the victim unreachable and when it was removed.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify
 * -Dbench.args=failover} (options: {@code -Dbench.args="failover --runs 5 --entities 60 --modes
 * pekko-defaults,starfish"}; a mode {@code name=-Dkey=value|-Dkey=value} is Starfish with those
 * options on the nodes). Prints a table and writes {@code target/bench/failover.json} and {@code
 * failover.md}. {@code --probes quick,patient}: see {@link Probe}.
 */
public final class FailoverBenchmark {

  /**
   * How the probes behave, the client's side of the measurement. Default ("quick", 300 ms, 64
   * workers): each worker asks for the next entity not yet back; one that does not answer within
   * the timeout goes to the back of the queue. The time recorded for an entity is when it first
   * answered, late by at most one pass over the entities still out, and with thousands out that
   * pass takes seconds; a request the client gave up on still holds one of the node's in-flight
   * slots until the server's ask timeout (5 s), and the timed-out connection is closed and opened
   * again. A "patient" client (6 s, 256 workers) waits longer than the server's ask timeout on a
   * kept-alive connection: the region holds its request until the entity is up, so the answer comes
   * when the entity does. {@code --probes quick,patient} alternates them run by run (each run's
   * mode is then labelled with its probe); a probe may also be given as {@code
   * timeoutMillis/workers}.
   */
  record Probe(String name, Duration timeout, int workers) {
    static final Probe QUICK = new Probe("quick", Duration.ofMillis(300), 64);
    static final Probe PATIENT = new Probe("patient", Duration.ofSeconds(6), 256);

    static Probe parse(String spec) {
      return switch (spec) {
        case "quick" -> QUICK;
        case "patient" -> PATIENT;
        default -> {
          String[] parts = spec.split("/");
          yield new Probe(
              spec, Duration.ofMillis(Long.parseLong(parts[0])), Integer.parseInt(parts[1]));
        }
      };
    }

    @Override
    public String toString() {
      return name + " probe (timeout " + timeout.toMillis() + " ms, " + workers + " workers)";
    }
  }

  /** Requests in flight while creating and touching the entities before a run. */
  private static final int SETUP_IN_FLIGHT = 16;

  /** Shard placement unchanged for this long counts as settled (two rebalance intervals). */
  private static final Duration SETTLED = Duration.ofSeconds(5);

  record Run(
      String mode,
      int run,
      int victim,
      boolean victimWasOldest,
      int affected,
      double unreachableS,
      double removedS,
      double allBackS,
      double firstBackS,
      String probeOutcomes) {}

  public static void main(String[] args) throws Exception {
    int runs = 5;
    int entities = 60;
    List<String> modes = List.of("pekko-defaults", "starfish");
    String jvmOptions = "";
    // A crash hits any of the 3 nodes alike, so by default one run in three kills the oldest
    // (the coordinators' host): "oldest", "other" (a non-oldest node, alternating) or a node index.
    List<String> victims = List.of("other", "other", "oldest");
    List<Probe> probes = List.of(Probe.QUICK);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--entities" -> entities = Integer.parseInt(args[++i]);
        case "--modes" -> modes = List.of(args[++i].split(","));
        case "--jvm-options" -> jvmOptions = args[++i];
        case "--shards" -> {
          // the nodes get it through JAVA_TOOL_OPTIONS, this JVM's shardOf through the property
          System.setProperty("pekko.cluster.sharding.number-of-shards", args[++i]);
          com.typesafe.config.ConfigFactory.invalidateCaches();
        }
        case "--victims" -> victims = List.of(args[++i].split(","));
        case "--probes" -> probes = Stream.of(args[++i].split(",")).map(Probe::parse).toList();
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    say("probes, alternating run by run: " + probes);
    List<Run> results = new ArrayList<>();
    try {
      TestCassandra.instance();
      for (String mode : modes) {
        results.addAll(runMode(mode, runs, entities, jvmOptions, victims, probes));
      }
    } finally {
      TestCassandra.stop();
    }
    report(results, probes, out);
  }

  private static List<Run> runMode(
      String modeSpec,
      int runs,
      int entityCount,
      String jvmOptions,
      List<String> victims,
      List<Probe> probes)
      throws Exception {
    // "name=-Dkey=value|-Dkey=value": Starfish's timings with these options on the nodes, so that
    // a setting can be compared with the default in the same run.
    String mode = modeSpec;
    int options = modeSpec.indexOf('=');
    if (options > 0) {
      mode = modeSpec.substring(0, options);
      jvmOptions = jvmOptions + " " + modeSpec.substring(options + 1).replace('|', ' ');
    } else if (!mode.equals("starfish") && !mode.equals("pekko-defaults")) {
      throw new IllegalArgumentException("unknown mode " + mode);
    }
    Map<String, String> env =
        new java.util.HashMap<>(
            mode.equals("pekko-defaults")
                ? ForkedCluster.pekkoDefaultTimings()
                : Map.<String, String>of());
    String shards = System.getProperty("pekko.cluster.sharding.number-of-shards");
    if (shards != null) {
      jvmOptions = jvmOptions + " -Dpekko.cluster.sharding.number-of-shards=" + shards;
    }
    if (!jvmOptions.isBlank()) {
      env.merge("JAVA_TOOL_OPTIONS", jvmOptions, (a, b) -> a + " " + b);
    }
    List<Run> results = new ArrayList<>();
    // Each benchmark run gets its own log files (bench-<mode>-<time>-node-<n>-<incarnation>.log).
    String logPrefix =
        "bench-"
            + mode
            + "-"
            + java.time.LocalTime.now()
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                .toString()
                .replace(":", "");
    try (ForkedCluster cluster = new ForkedCluster(logPrefix, 3, env, 384)) {
      say(mode + ": starting 3 nodes");
      cluster.start(Duration.ofMinutes(3));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < entityCount; i++) {
        ids.add("bench-" + mode + "-" + i);
      }
      say(mode + ": creating " + entityCount + " entities");
      long creating = System.nanoTime();
      postAll(cluster, cluster.nodes(), ids);
      say(
          String.format(
              "%s: %d entities created in %.1f s",
              mode, entityCount, (System.nanoTime() - creating) / 1e9));
      for (int run = 1; run <= runs; run++) {
        Node victim = chooseVictim(cluster, victims.get((run - 1) % victims.size()), run);
        Probe probe = probes.get((run - 1) % probes.size());
        String label = probes.size() > 1 ? mode + "/" + probe.name() : mode;
        results.add(oneRun(cluster, label, run, victim, ids, probe));
        say(mode + " run " + run + ": " + results.get(results.size() - 1));
        say(mode + ": restarting " + victim);
        cluster.restartNode(victim, Duration.ofMinutes(3));
      }
    }
    return results;
  }

  /** Resolves a victim spec ("oldest", "other" or a node index) against the current cluster. */
  private static Node chooseVictim(ForkedCluster cluster, String spec, int run) throws Exception {
    if (spec.matches("\\d+")) {
      return cluster.node(Integer.parseInt(spec));
    }
    String[] oldestHolder = {""};
    ForkedCluster.await(
        "the oldest member is known",
        Duration.ofMinutes(1),
        () -> {
          oldestHolder[0] =
              cluster.cluster(cluster.node(1)).map(v -> v.path("oldest").asText()).orElse("");
          return !oldestHolder[0].isEmpty();
        });
    String oldest = oldestHolder[0];
    List<Node> matching =
        cluster.nodes().stream()
            .filter(
                n ->
                    switch (spec) {
                      case "oldest" -> n.address().equals(oldest);
                      case "other" -> !n.address().equals(oldest);
                      default -> throw new IllegalArgumentException("unknown victim " + spec);
                    })
            .toList();
    return matching.get(run % matching.size());
  }

  private static Run oneRun(
      ForkedCluster cluster, String mode, int run, Node victim, List<String> ids, Probe probe)
      throws Exception {
    List<Node> survivors = cluster.nodes().stream().filter(n -> n != victim).toList();
    // Wait until the victim hosts some of the entities and shard placement has settled: no shard
    // moved for two rebalance intervals. (After the previous victim's restart, rebalancing moves
    // shards back to it; a crash in the middle of a hand-off is a different, slower case, see
    // docs/cluster.md, and is not what this run measures.)
    List<String> affected = new ArrayList<>();
    Map<String, String> lastHomes = new java.util.HashMap<>();
    long[] stableSince = {System.nanoTime()};
    ForkedCluster.await(
        victim + " hosts entities and no shard moves",
        Duration.ofMinutes(8),
        () -> {
          Map<String, String> homes = cluster.shardHomes(survivors.get(0), "account");
          if (!homes.equals(lastHomes)) {
            lastHomes.clear();
            lastHomes.putAll(homes);
            stableSince[0] = System.nanoTime();
          }
          affected.clear();
          ids.stream()
              .filter(id -> victim.address().equals(homes.get(ForkedCluster.shardOf(id))))
              .forEach(affected::add);
          return affected.size() >= ids.size() / 6
              && System.nanoTime() - stableSince[0] > SETTLED.toNanos();
        });
    // Starfish's resolver waits longer for a while after a join (starfish.cluster.warm-up-period,
    // docs/cluster.md): a crash then is downed later. This run measures the common case, a
    // crash outside that window, so it waits the window out after the previous victim rejoined.
    if (!mode.equals("pekko-defaults")) {
      Duration warmUp =
          com.typesafe.config.ConfigFactory.load().getDuration("starfish.cluster.warm-up-period");
      ForkedCluster.await(
          "the warm-up window after the last join is over",
          warmUp.plusMinutes(1),
          () -> cluster.sinceLastJoin().compareTo(warmUp.plusSeconds(1)) > 0);
    }
    // The oldest member hosts the shard coordinators; killing it adds a coordinator hand-over.
    boolean oldest =
        cluster
            .cluster(survivors.get(0))
            .map(view -> view.path("oldest").asText().equals(victim.address()))
            .orElse(false);
    // Touch every affected entity so it is alive (remembered) at the kill.
    postAll(cluster, survivors, affected);
    say(affected.size() + " entities on " + victim + ", all alive; killing it");

    AtomicBoolean loadRunning = new AtomicBoolean(true);
    int workers = Math.min(affected.size(), probe.workers());
    ExecutorService pool = Executors.newFixedThreadPool(workers + 2);
    Map<String, Double> backAfter = new ConcurrentHashMap<>();
    AtomicLong unreachableAt = new AtomicLong();
    AtomicLong removedAt = new AtomicLong();
    // Light background load on the other entities through the survivors.
    pool.submit(
        () -> {
          int i = 0;
          while (loadRunning.get()) {
            String id = ids.get(i++ % ids.size());
            if (!affected.contains(id)) {
              try {
                post(cluster, survivors.get(i % 2), id);
              } catch (IOException | RuntimeException e) {
                // load only; a quick refusal must not turn this loop into a busy spin
                sleepQuietly(20);
              }
            }
          }
        });
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    long killedAt = System.nanoTime();
    cluster.killNode(victim);
    say(
        "killed "
            + victim
            + " at "
            + java.time.LocalTime.now()
            + " (wall clock, for the node logs)");
    pool.submit(
        () -> {
          // Records when the survivors see the victim unreachable, then removed; after 120 s
          // without a removal the run reports NaN for it.
          awaitQuietly(
              Duration.ofSeconds(120),
              Duration.ofMillis(50),
              () -> {
                JsonNode view = cluster.cluster(survivors.get(0)).orElse(null);
                if (view != null) {
                  boolean listed = false;
                  for (JsonNode member : view.path("members")) {
                    if (member.path("address").asText().equals(victim.address())) {
                      listed = true;
                      if (!member.path("reachable").asBoolean() && unreachableAt.get() == 0) {
                        unreachableAt.set(System.nanoTime());
                      }
                    }
                  }
                  if (!listed) {
                    removedAt.set(System.nanoTime());
                  }
                }
                return removedAt.get() != 0;
              });
        });
    java.util.concurrent.ConcurrentLinkedQueue<String> out =
        new java.util.concurrent.ConcurrentLinkedQueue<>(affected);
    AtomicInteger attempt = new AtomicInteger();
    List<java.util.concurrent.Future<?>> probes = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      probes.add(
          pool.submit(
              () -> {
                // until every entity answered, at most 300 s after the kill
                while (System.nanoTime() - killedAt < Duration.ofSeconds(300).toNanos()) {
                  String id = out.poll();
                  if (id == null) {
                    return;
                  }
                  Node via = survivors.get(attempt.getAndIncrement() % 2);
                  try {
                    HttpResponse<String> response =
                        cluster.get(via, "/api/v1/entities/account/" + id, probe.timeout());
                    outcomes
                        .computeIfAbsent("" + response.statusCode(), k -> new AtomicLong())
                        .incrementAndGet();
                    if (response.statusCode() == 200) {
                      backAfter.put(id, (System.nanoTime() - killedAt) / 1e9);
                      continue;
                    }
                    // a quick refusal (503) must not turn this into a busy spin
                    sleepQuietly(20);
                  } catch (IOException e) {
                    // timeout or connection problem: ask again
                    outcomes
                        .computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong())
                        .incrementAndGet();
                  }
                  out.add(id);
                }
              }));
    }
    for (var worker : probes) {
      worker.get(320, TimeUnit.SECONDS);
    }
    loadRunning.set(false);
    pool.shutdown();
    pool.awaitTermination(30, TimeUnit.SECONDS);
    double allBack = Collections.max(backAfter.values());
    List<Double> sortedBack = backAfter.values().stream().sorted().toList();
    say(
        "per-entity seconds until answered: "
            + sortedBack.stream().map(v -> String.format("%.2f", v)).toList());
    return new Run(
        mode,
        run,
        victim.index,
        oldest,
        affected.size(),
        unreachableAt.get() == 0 ? Double.NaN : (unreachableAt.get() - killedAt) / 1e9,
        removedAt.get() == 0 ? Double.NaN : (removedAt.get() - killedAt) / 1e9,
        allBack,
        sortedBack.get(0),
        new java.util.TreeMap<>(outcomes).toString());
  }

  /**
   * Deposits 1 into each of {@code ids}, {@link #SETUP_IN_FLIGHT} at a time, through {@code via} in
   * turn; a refused deposit (an overloaded node answers 503) is tried again, up to 10 times.
   */
  private static void postAll(ForkedCluster cluster, List<Node> via, List<String> ids)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(SETUP_IN_FLIGHT);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        Node node = via.get(i % via.size());
        done.add(
            pool.submit(
                () -> {
                  for (int attempt = 1; ; attempt++) {
                    try {
                      post(cluster, node, id);
                      return null;
                    } catch (IOException e) {
                      if (attempt == 10) {
                        throw e;
                      }
                      sleepQuietly(200);
                    }
                  }
                }));
      }
      for (var each : done) {
        each.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void post(ForkedCluster cluster, Node via, String id) throws IOException {
    HttpResponse<String> response =
        cluster.post(
            via,
            "/api/v1/entities/account/" + id,
            "{\"type\":\"deposit\",\"amount\":1}",
            Duration.ofSeconds(10));
    if (response.statusCode() != 200) {
      throw new IOException("deposit to " + id + " answered " + response.statusCode());
    }
  }

  /**
   * Polls {@code condition} every {@code interval} until it holds or {@code timeout} passes; a
   * timeout is not an error here (the run reports what it measured).
   */
  private static void awaitQuietly(
      Duration timeout, Duration interval, java.util.concurrent.Callable<Boolean> condition) {
    try {
      Awaitility.await()
          .atMost(timeout.isNegative() ? Duration.ofMillis(1) : timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(interval)
          .dontCatchUncaughtExceptions()
          .until(condition);
    } catch (ConditionTimeoutException e) {
      // measured as "not back" / NaN by the caller
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void report(List<Run> results, List<Probe> probes, Path out) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("Failover benchmark, ")
        .append(Instant.now())
        .append(", probes alternating run by run: ")
        .append(probes)
        .append("\n\n");
    md.append("| mode | run | victim node | victim hosted the coordinator | entities on victim |")
        .append(" unreachable (s) | removed (s) |")
        .append(" first entity answers (s) | all entities answer (s) | probe outcomes |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|\n");
    ArrayNode json = EntityJson.MAPPER.createArrayNode();
    for (Run r : results) {
      md.append(
          String.format(
              "| %s | %d | %d | %s | %d | %.1f | %.1f | %.1f | %.1f | %s |%n",
              r.mode(),
              r.run(),
              r.victim(),
              r.victimWasOldest() ? "yes" : "no",
              r.affected(),
              r.unreachableS(),
              r.removedS(),
              r.firstBackS(),
              r.allBackS(),
              r.probeOutcomes()));
      ObjectNode row = json.addObject();
      row.put("mode", r.mode());
      row.put("run", r.run());
      row.put("victim", r.victim());
      row.put("victimHostedCoordinator", r.victimWasOldest());
      row.put("entitiesOnVictim", r.affected());
      row.put("unreachableSeconds", r.unreachableS());
      row.put("removedSeconds", r.removedS());
      row.put("firstEntityAnswersSeconds", r.firstBackS());
      row.put("allEntitiesAnswerSeconds", r.allBackS());
      row.put("probeOutcomes", r.probeOutcomes());
    }
    md.append("\n| mode | runs | median all-back (s) | max all-back (s) | median unreachable (s) |")
        .append(" median removed (s) | median all-back, victim hosted the coordinator (runs) |")
        .append(" median all-back, other victims (runs) |\n|---|---|---|---|---|---|---|---|\n");
    results.stream()
        .map(Run::mode)
        .distinct()
        .forEach(
            mode -> {
              List<Run> rs = results.stream().filter(r -> r.mode().equals(mode)).toList();
              md.append(
                  String.format(
                      "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f (%d) | %.1f (%d) |%n",
                      mode,
                      rs.size(),
                      median(rs.stream().map(Run::allBackS).toList()),
                      rs.stream().mapToDouble(Run::allBackS).max().orElse(Double.NaN),
                      median(rs.stream().map(Run::unreachableS).toList()),
                      median(rs.stream().map(Run::removedS).toList()),
                      median(rs.stream().filter(Run::victimWasOldest).map(Run::allBackS).toList()),
                      rs.stream().filter(Run::victimWasOldest).count(),
                      median(
                          rs.stream()
                              .filter(r -> !r.victimWasOldest())
                              .map(Run::allBackS)
                              .toList()),
                      rs.stream().filter(r -> !r.victimWasOldest()).count()));
            });
    Files.writeString(out.resolve("failover.md"), md);
    Files.writeString(
        out.resolve("failover.json"),
        EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    System.out.println(md);
    say("written " + out.resolve("failover.md") + " and failover.json");
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().filter(v -> !v.isNaN()).sorted().toList();
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void say(String line) {
    System.out.println("[bench] " + line);
  }
}
