package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The plain Pekko baseline of the throughput benchmark: the counter entity written directly as a
 * sharded {@link EventSourcedBehavior} behind one Pekko HTTP route, with none of Starfish's layers
 * (no command codec, idempotency keys, supervision, minority guard, circuit breaker, load shedding
 * or problem+json). It runs with the same configuration as a Starfish node (the runtime's
 * application.conf: cluster timings, sharding, Cassandra journal, serialization), joins through the
 * same seed-node settings, snapshots every 100 events as Starfish does, and answers {@code POST
 * /counter/{id}} with {@code {"by":N}} by {@code {"value":V}}, {@code GET /counter/{id}} (a read,
 * which starts the entity) with the same, and {@code GET /entities} with the number of counters
 * running on this node. It exists to be beaten or matched.
 */
public final class PlainPekkoNode extends AllDirectives {

  /** Serialization marker of the baseline's messages: Jackson CBOR, bound in {@link #main}. */
  public interface Cbor {}

  /** What the counter takes. */
  public sealed interface Command extends Cbor permits Increment, Get {}

  public record Increment(long by, ActorRef<Value> replyTo) implements Command {}

  /** Reads the value (starts the entity if it is not running: the memory benchmark's read). */
  public record Get(ActorRef<Value> replyTo) implements Command {}

  public record Value(long value) implements Cbor {}

  public record Incremented(long by) implements Cbor {}

  public record State(long value) implements Cbor {}

  static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "plain-counter");

  static final class Counter extends EventSourcedBehavior<Command, Incremented, State> {
    Counter(String id) {
      super(PersistenceId.of("plain-counter", id));
    }

    @Override
    public State emptyState() {
      return new State(0);
    }

    @Override
    public CommandHandler<Command, Incremented, State> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Increment.class,
              (state, increment) ->
                  Effect()
                      .persist(new Incremented(increment.by()))
                      .thenRun(next -> increment.replyTo().tell(new Value(next.value()))))
          .onCommand(
              Get.class,
              (state, get) ->
                  Effect().none().thenRun(now -> get.replyTo().tell(new Value(now.value()))))
          .build();
    }

    @Override
    public EventHandler<State, Incremented> eventHandler() {
      return (state, event) -> new State(state.value() + event.by());
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(100, 2);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ActorSystem<Void> system;
  private final ClusterSharding sharding;
  private final int expectedMembers;

  private PlainPekkoNode(ActorSystem<Void> system, int expectedMembers) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.expectedMembers = expectedMembers;
  }

  Route route() {
    return concat(
        path(
            PathMatchers.segment("counter").slash(PathMatchers.segment()),
            id ->
                post(
                    () ->
                        entity(
                            Unmarshaller.entityToString(),
                            body -> {
                              Long by = parseBy(body);
                              if (by == null) {
                                return complete(StatusCodes.BAD_REQUEST, "not JSON");
                              }
                              CompletionStage<Value> reply =
                                  sharding
                                      .entityRefFor(KEY, id)
                                      .ask(
                                          replyTo -> new Increment(by, replyTo),
                                          Duration.ofSeconds(5));
                              return onComplete(
                                  reply,
                                  done ->
                                      done.isSuccess()
                                          ? complete(
                                              HttpEntities.create(
                                                  ContentTypes.APPLICATION_JSON,
                                                  "{\"value\":" + done.get().value() + "}"))
                                          : complete(StatusCodes.SERVICE_UNAVAILABLE));
                            }))),
        path(
            PathMatchers.segment("counter").slash(PathMatchers.segment()),
            id ->
                get(
                    () ->
                        onComplete(
                            sharding
                                .entityRefFor(KEY, id)
                                .<Value>ask(Get::new, Duration.ofSeconds(30)),
                            done ->
                                done.isSuccess()
                                    ? complete(
                                        HttpEntities.create(
                                            ContentTypes.APPLICATION_JSON,
                                            "{\"value\":" + done.get().value() + "}"))
                                    : complete(StatusCodes.SERVICE_UNAVAILABLE)))),
        path(
            "entities",
            () ->
                get(
                    () ->
                        onComplete(
                            AskPattern.<ClusterShardingQuery, CurrentShardRegionState>ask(
                                sharding.shardState(),
                                replyTo -> new GetShardRegionState(KEY, replyTo),
                                Duration.ofSeconds(30),
                                system.scheduler()),
                            done ->
                                done.isSuccess()
                                    ? complete(
                                        HttpEntities.create(
                                            ContentTypes.APPLICATION_JSON,
                                            "{\"running\":"
                                                + done.get().getShards().stream()
                                                    .mapToLong(s -> s.getEntityIds().size())
                                                    .sum()
                                                + "}"))
                                    : complete(StatusCodes.SERVICE_UNAVAILABLE)))),
        path(
            "ready",
            () ->
                get(
                    () -> {
                      long up =
                          java.util.stream.StreamSupport.stream(
                                  Cluster.get(system).state().getMembers().spliterator(), false)
                              .filter(m -> m.status() == MemberStatus.up())
                              .count();
                      return up == expectedMembers
                          ? complete("ready")
                          : complete(StatusCodes.SERVICE_UNAVAILABLE, up + " members up");
                    })));
  }

  private static Long parseBy(String body) {
    try {
      return JSON.readTree(body).path("by").asLong(1);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  public static void main(String[] args) {
    Config config =
        ConfigFactory.parseString(
                "pekko.actor.serialization-bindings {\n"
                    + "  \"io.starfish.multijvm.bench.PlainPekkoNode$Cbor\" = jackson-cbor\n"
                    + "}\n"
                    // Plain Pekko: the plugin's own journal, not Starfish's fenced one.
                    + "pekko.persistence.cassandra.journal.class ="
                    + " \"org.apache.pekko.persistence.cassandra.journal.CassandraJournal\"")
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "starfish", config);
    List<Address> seeds =
        Arrays.stream(config.getString("starfish.node.seed-nodes").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .map(
                hostPort -> {
                  int colon = hostPort.lastIndexOf(':');
                  return new Address(
                      "pekko",
                      "starfish",
                      hostPort.substring(0, colon),
                      Integer.parseInt(hostPort.substring(colon + 1)));
                })
            .toList();
    Cluster.get(system).manager().tell(new JoinSeedNodes(seeds));
    ClusterSharding.get(system).init(Entity.of(KEY, context -> counter(context.getEntityId())));
    PlainPekkoNode node =
        new PlainPekkoNode(
            system, Integer.parseInt(System.getenv().getOrDefault("BENCH_NODES", "3")));
    Http.get(system)
        .newServerAt(
            config.getString("starfish.http.interface"), config.getInt("starfish.http.port"))
        .bind(node.route());
    system.log().info("plain Pekko baseline node started");
  }

  private static Behavior<Command> counter(String id) {
    return new Counter(id);
  }
}
