package io.starfish.multijvm.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.multijvm.ForkedCluster;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.examples.Counter;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.StarfishSharding;
import io.starfish.supervision.SupervisionSettings;
import java.net.InetSocketAddress;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Recovery times. (1) One {@code counter} entity with 10k and 100k events, recovered by Starfish's
 * own entity behaviour (the one sharding runs, with its supervision) from the real Cassandra
 * journal, without a snapshot (events only) and with one (Starfish snapshots every 100 events, so
 * it reads the snapshot and no events): the time from spawning the entity to its answer to a read.
 * The events are written beforehand in batches by a plain event-sourced writer under the entity's
 * persistence id. (2) A full restart of a 3-node cluster with 10k remembered entities: the time
 * from starting the nodes until all are ready, and until every entity runs again.
 *
 * <p>Run: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests verify
 * -Dbench.args="recovery"} (options: {@code --events 10000,100000 --repeat 3 --remembered 10000}).
 * Writes {@code target/bench/recovery.json} and {@code recovery.md}.
 */
public final class RecoveryBenchmark {

  record Recovery(
      String entity,
      long events,
      boolean snapshot,
      int attempt,
      double millis,
      double againMillis) {}

  public static void main(String[] args) throws Exception {
    List<Long> eventCounts = List.of(10_000L, 100_000L);
    int repeat = 3;
    int remembered = 10_000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--events" ->
            eventCounts =
                java.util.Arrays.stream(args[++i].split(",")).map(Long::parseLong).toList();
        case "--repeat" -> repeat = Integer.parseInt(args[++i]);
        case "--remembered" -> remembered = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    List<Recovery> recoveries = new ArrayList<>();
    Map<String, Double> restart = new java.util.LinkedHashMap<>();
    try {
      TestCassandra.instance();
      if (remembered > 0) {
        restart.putAll(fullRestart(remembered));
      }
      if (!eventCounts.isEmpty()) {
        recoveries.addAll(singleEntity(eventCounts, repeat));
      }
    } finally {
      TestCassandra.stop();
    }
    report(recoveries, restart, remembered, out);
  }

  // ---- one entity, many events ----

  record Write(int count, ActorRef<Long> replyTo) {}

  /** Appends events of the counter's own type under a counter's persistence id, in batches. */
  static final class JournalWriter extends EventSourcedBehavior<Write, Counter.Event, Long> {
    JournalWriter(String entityId) {
      super(PersistenceId.of(Counter.TYPE.name(), entityId));
    }

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public CommandHandler<Write, Counter.Event, Long> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Write.class,
              (state, write) ->
                  Effect()
                      .persist(
                          Collections.<Counter.Event>nCopies(
                              write.count(), new Counter.Incremented(1)))
                      .thenRun(next -> write.replyTo().tell(next)))
          .build();
    }

    @Override
    public EventHandler<Long, Counter.Event> eventHandler() {
      return (state, event) -> state + 1;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.disabled();
    }
  }

  private static List<Recovery> singleEntity(List<Long> eventCounts, int repeat) throws Exception {
    Config config =
        ConfigFactory.parseString(
                "pekko.actor.provider = local\n"
                    + "pekko.loglevel = WARNING\n"
                    + "starfish.cassandra.contact-point = \""
                    + TestCassandra.instance().contactPoint()
                    + "\"\n")
            .withFallback(ConfigFactory.defaultApplication())
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    ActorSystem<SpawnProtocol.Command> system =
        ActorSystem.create(SpawnProtocol.create(), "recovery-bench", config);
    List<Recovery> results = new ArrayList<>();
    String run = Long.toString(System.currentTimeMillis() % 100000);
    try {
      // The first recovery in this JVM also loads and compiles the whole read path: done once,
      // unmeasured, on an entity of its own.
      String warmUp = "recovery-" + run + "-warm-up";
      write(system, warmUp, 1000);
      readOnce(system, warmUp);
      readOnce(system, warmUp);
      for (long events : eventCounts) {
        for (boolean snapshot : List.of(false, true)) {
          // Each attempt is a fresh entity: its first recovery in this JVM is what a node that
          // takes over a shard does. The same entity read again right after is recorded too.
          for (int attempt = 1; attempt <= repeat; attempt++) {
            String id =
                "recovery-" + run + "-" + events + (snapshot ? "-snap-" : "-events-") + attempt;
            write(system, id, snapshot ? events - 1 : events);
            if (snapshot) {
              // The entity's own command writes the last event; Starfish snapshots every 100,
              // so it snapshots at `events` (a multiple of 100).
              incrementAndAwaitSnapshot(system, id, events);
            }
            double first = timedRead(system, id, events);
            List<Long> snapshotsAfter = snapshotsOf(id);
            double again = timedRead(system, id, events);
            results.add(new Recovery(id, events, snapshot, attempt, first, again));
            say(
                results.get(results.size() - 1)
                    + "; snapshots after the first read at "
                    + snapshotsAfter);
          }
        }
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return results;
  }

  private static void write(ActorSystem<SpawnProtocol.Command> system, String id, long events)
      throws Exception {
    say("writing " + events + " events of " + id);
    long start = System.nanoTime();
    ActorRef<Write> writer = spawn(system, Behaviors.setup(ctx -> new JournalWriter(id)), id);
    int batch = 100;
    CompletionStage<Long> last = CompletableFuture.completedFuture(0L);
    Semaphore inFlight = new Semaphore(20);
    for (long written = 0; written < events; written += batch) {
      int count = (int) Math.min(batch, events - written);
      inFlight.acquire();
      last =
          AskPattern.<Write, Long>ask(
                  writer,
                  replyTo -> new Write(count, replyTo),
                  Duration.ofSeconds(60),
                  system.scheduler())
              .whenComplete((v, e) -> inFlight.release());
    }
    long total = last.toCompletableFuture().get(10, TimeUnit.MINUTES);
    if (total != events) {
      throw new IllegalStateException("wrote " + total + " events of " + id + ", not " + events);
    }
    stop(system, writer);
    say(String.format("wrote %d events in %.1f s", events, (System.nanoTime() - start) / 1e9));
  }

  private static void incrementAndAwaitSnapshot(
      ActorSystem<SpawnProtocol.Command> system, String id, long events) throws Exception {
    ActorRef<EntityMessage> entity = spawnEntity(system, id);
    JsonNode command = EntityJson.COMMANDS.readTree("{\"type\":\"increment\",\"by\":1}");
    EntityResult result =
        AskPattern.<EntityMessage, EntityResult>ask(
                entity,
                replyTo -> new EntityMessage.Execute(command, replyTo),
                Duration.ofSeconds(120),
                system.scheduler())
            .toCompletableFuture()
            .get(3, TimeUnit.MINUTES);
    if (!(result instanceof EntityResult.Accepted accepted) || accepted.version() != events) {
      throw new IllegalStateException("increment of " + id + " answered " + result);
    }
    try (CqlSession cql = session()) {
      ForkedCluster.await(
          "the snapshot of " + id + " at " + events,
          Duration.ofMinutes(1),
          () ->
              cql.execute(
                          com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                              "SELECT sequence_nr FROM starfish_snapshot.snapshots WHERE"
                                  + " persistence_id = ? AND sequence_nr = ?",
                              "counter|" + id,
                              events))
                      .one()
                  != null);
    }
    stop(system, entity);
  }

  private static double timedRead(ActorSystem<SpawnProtocol.Command> system, String id, long events)
      throws Exception {
    long start = System.nanoTime();
    EntityResult.Current current = readOnce(system, id);
    double millis = (System.nanoTime() - start) / 1e6;
    if (current.version() != events) {
      throw new IllegalStateException(
          id + " recovered at version " + current.version() + ", expected " + events);
    }
    return millis;
  }

  /** The sequence numbers of the entity's snapshots in Cassandra. */
  private static List<Long> snapshotsOf(String id) {
    try (CqlSession cql = session()) {
      List<Long> sequenceNrs = new ArrayList<>();
      cql.execute(
              com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                  "SELECT sequence_nr FROM starfish_snapshot.snapshots WHERE persistence_id = ?",
                  "counter|" + id))
          .forEach(row -> sequenceNrs.add(row.getLong(0)));
      return sequenceNrs;
    }
  }

  /** Spawns the entity, asks it once for its state (which waits for recovery), stops it. */
  private static EntityResult.Current readOnce(ActorSystem<SpawnProtocol.Command> system, String id)
      throws Exception {
    ActorRef<EntityMessage> entity = spawnEntity(system, id);
    EntityResult result =
        AskPattern.<EntityMessage, EntityResult>ask(
                entity, EntityMessage.GetState::new, Duration.ofSeconds(120), system.scheduler())
            .toCompletableFuture()
            .get(3, TimeUnit.MINUTES);
    stop(system, entity);
    return (EntityResult.Current) result;
  }

  private static ActorRef<EntityMessage> spawnEntity(
      ActorSystem<SpawnProtocol.Command> system, String id) throws Exception {
    return spawn(
        system,
        StarfishSharding.entityBehavior(
            Counter.TYPE,
            id,
            PersistenceSettings.create(system),
            SupervisionSettings.create(system)),
        "entity-" + id + "-" + System.nanoTime());
  }

  private static <T> ActorRef<T> spawn(
      ActorSystem<SpawnProtocol.Command> system,
      org.apache.pekko.actor.typed.Behavior<T> behavior,
      String name)
      throws Exception {
    return AskPattern.<SpawnProtocol.Command, ActorRef<T>>ask(
            system,
            replyTo -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), replyTo),
            Duration.ofSeconds(10),
            system.scheduler())
        .toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
  }

  private static void stop(ActorSystem<SpawnProtocol.Command> system, ActorRef<?> actor) {
    // a top-level actor of the SpawnProtocol guardian: stopped directly, as its parent would
    ((org.apache.pekko.actor.InternalActorRef)
            org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(actor))
        .stop();
  }

  private static CqlSession session() {
    String contactPoint = TestCassandra.instance().contactPoint();
    int colon = contactPoint.lastIndexOf(':');
    return CqlSession.builder()
        .addContactPoint(
            new InetSocketAddress(
                contactPoint.substring(0, colon),
                Integer.parseInt(contactPoint.substring(colon + 1))))
        .withLocalDatacenter("datacenter1")
        .build();
  }

  // ---- a full restart with many remembered entities ----

  private static Map<String, Double> fullRestart(int remembered) throws Exception {
    Map<String, Double> times = new java.util.LinkedHashMap<>();
    try (ForkedCluster cluster = new ForkedCluster("bench-restart", 3, Map.of(), 384)) {
      say("full restart: starting 3 nodes");
      cluster.start(Duration.ofMinutes(3));
      say("full restart: starting " + remembered + " counter entities");
      long created = System.nanoTime();
      createEntities(cluster, remembered);
      times.put("create " + remembered + " entities (s)", (System.nanoTime() - created) / 1e9);
      ForkedCluster.await(
          remembered + " counter entities running",
          Duration.ofMinutes(5),
          () -> runningCounters(cluster) >= remembered);
      say("full restart: stopping all nodes");
      cluster.stopAllNodes(Duration.ofMinutes(2));
      long start = System.nanoTime();
      cluster.start(Duration.ofMinutes(5));
      times.put("start to all 3 nodes ready and Up (s)", (System.nanoTime() - start) / 1e9);
      ForkedCluster.await(
          "all " + remembered + " remembered entities running again",
          Duration.ofMinutes(10),
          () -> runningCounters(cluster) >= remembered);
      times.put(
          "start to all " + remembered + " remembered entities running (s)",
          (System.nanoTime() - start) / 1e9);
      say("full restart: " + times);
    }
    return times;
  }

  private static void createEntities(ForkedCluster cluster, int count) throws Exception {
    List<Integer> failed =
        BenchSupport.sendAll("create", count, 32, 1000, i -> increment(cluster, i));
    // A 503 (e.g. a shard's first start taking longer than the ask timeout) is retried, as a
    // client would; the count of running entities below must reach every one of them.
    say(failed.size() + " of " + count + " first attempts failed; retrying them");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // one budget of 5 minutes for all the retries together
    Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
    for (Integer index : failed) {
      try {
        Awaitility.await("entity remembered-" + index + " created")
            .atMost(Duration.between(Instant.now(), deadline).plusMillis(1))
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(200)) // client back-off before the same request again
            .dontCatchUncaughtExceptions()
            .until(
                () ->
                    http.send(increment(cluster, index), HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                        == 200);
      } catch (ConditionTimeoutException e) {
        throw new IllegalStateException("entity remembered-" + index + " could not be created", e);
      }
    }
  }

  private static HttpRequest increment(ForkedCluster cluster, int index) {
    ForkedCluster.Node node = cluster.nodes().get(index % cluster.nodes().size());
    return HttpRequest.newBuilder(
            URI.create(
                "http://127.0.0.1:"
                    + node.httpPort
                    + "/api/v1/entities/counter/remembered-"
                    + index))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"increment\",\"by\":1}"))
        .build();
  }

  private static long runningCounters(ForkedCluster cluster) {
    return BenchSupport.runningEntities(cluster, cluster.node(1), "counter");
  }

  // ---- report ----

  private static void report(
      List<Recovery> recoveries, Map<String, Double> restart, int remembered, Path out)
      throws java.io.IOException {
    StringBuilder md = new StringBuilder();
    md.append("Recovery benchmark, ").append(Instant.now()).append("\n\n");
    md.append("| events | snapshot | entities | first recovery, median (ms) | min | max |")
        .append(" events/s (median) | same entity again, median (ms) |\n")
        .append("|---|---|---|---|---|---|---|---|\n");
    ArrayNode json = EntityJson.MAPPER.createArrayNode();
    recoveries.stream()
        .map(r -> r.events() + "/" + r.snapshot())
        .distinct()
        .forEach(
            key -> {
              List<Recovery> rs =
                  recoveries.stream()
                      .filter(r -> (r.events() + "/" + r.snapshot()).equals(key))
                      .toList();
              List<Double> sorted = rs.stream().map(Recovery::millis).sorted().toList();
              List<Double> again = rs.stream().map(Recovery::againMillis).sorted().toList();
              double median = sorted.get(sorted.size() / 2);
              md.append(
                  String.format(
                      "| %d | %s | %d | %.0f | %.0f | %.0f | %s | %.0f |%n",
                      rs.get(0).events(),
                      rs.get(0).snapshot() ? "yes (at the last event)" : "no",
                      rs.size(),
                      median,
                      sorted.get(0),
                      sorted.get(sorted.size() - 1),
                      rs.get(0).snapshot()
                          ? "-"
                          : String.format("%.0f", rs.get(0).events() / (median / 1000)),
                      again.get(again.size() / 2)));
            });
    recoveries.forEach(r -> json.add(EntityJson.MAPPER.valueToTree(r)));
    md.append("\n| full restart, ").append(remembered).append(" remembered entities | s |\n");
    md.append("|---|---|\n");
    ObjectNode restartJson = EntityJson.MAPPER.createObjectNode();
    restart.forEach(
        (what, seconds) -> {
          md.append(String.format("| %s | %.1f |%n", what, seconds));
          restartJson.put(what, seconds);
        });
    ObjectNode all = EntityJson.MAPPER.createObjectNode();
    all.put("date", Instant.now().toString());
    all.set("singleEntity", json);
    all.set("fullRestart", restartJson);
    Files.writeString(out.resolve("recovery.md"), md);
    Files.writeString(
        out.resolve("recovery.json"),
        EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
    System.out.println(md);
    say("written " + out.resolve("recovery.md") + " and recovery.json");
  }

  private static void say(String line) {
    BenchSupport.say(line);
  }
}
