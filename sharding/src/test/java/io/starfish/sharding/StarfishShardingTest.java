package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.observability.EntityTelemetry;
import io.starfish.persistence.CborSerializable;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both kinds of entity type, on a real (single-node) Cluster Sharding with the in-memory journal.
 */
class StarfishShardingTest {

  // A declared entity type: the developer-facing API.
  sealed interface TallyCommand permits Add {}

  record Add(int n) implements TallyCommand {}

  record Added(int n) implements CborSerializable {}

  record Tally(int total) implements CborSerializable {}

  static final EntityType<TallyCommand, Added, Tally> TALLY =
      EntityType.of(
          "tally",
          TallyCommand.class,
          Added.class,
          new Tally(0),
          (state, command) ->
              ((Add) command).n() > 100
                  ? Outcome.reject("too much")
                  : Outcome.persist(new Added(((Add) command).n())),
          (state, event) -> new Tally(state.total() + event.n()));

  // A hand-written Pekko EventSourcedBehavior, registered with EntityType.custom.
  record Noted(String text) implements CborSerializable {}

  record Notes(String last) implements CborSerializable {}

  static final class Notebook
      extends EventSourcedBehaviorWithEnforcedReplies<EntityMessage, Noted, Notes> {
    private final EntityContext context;

    Notebook(EntityContext context) {
      super(context.persistenceId());
      this.context = context;
    }

    @Override
    public Notes emptyState() {
      return new Notes("");
    }

    @Override
    public CommandHandlerWithReply<EntityMessage, Noted, Notes> commandHandler() {
      return newCommandHandlerWithReplyBuilder()
          .forAnyState()
          .onCommand(
              EntityMessage.Execute.class,
              (state, execute) -> {
                JsonNode text = execute.command().get("text");
                if (!"note".equals(execute.command().get("type").asText()) || text == null) {
                  return Effect()
                      .reply(execute.replyTo(), new EntityResult.Invalid("expected note {text}"));
                }
                return Effect()
                    .persist(new Noted(text.asText()))
                    .thenReply(
                        execute.replyTo(),
                        s ->
                            new EntityResult.Accepted(
                                lastSequenceNumber(context.actorContext()),
                                EntityJson.MAPPER.valueToTree(s),
                                EntityJson.MAPPER.nullNode()));
              })
          .onCommand(
              EntityMessage.GetState.class,
              (state, get) ->
                  Effect()
                      .reply(
                          get.replyTo(),
                          new EntityResult.Current(
                              lastSequenceNumber(context.actorContext()),
                              EntityJson.MAPPER.valueToTree(state))))
          .build();
    }

    @Override
    public EventHandler<Notes, Noted> eventHandler() {
      return (state, event) -> new Notes(event.text());
    }
  }

  static final EntityDefinition NOTEBOOK = EntityType.custom("notebook", Notebook::new);

  // A saga: relays one Add to an entity of another type, then is done.
  sealed interface RelayCommand permits Relay {}

  record Relay(String targetType, String to, int n) implements RelayCommand {}

  sealed interface RelayEvent extends CborSerializable permits Relayed, Delivered {}

  record Relayed(String targetType, String to, int n) implements RelayEvent {}

  record Delivered(boolean accepted) implements RelayEvent {}

  record RelayState(String targetType, String to, int n, boolean done)
      implements CborSerializable {}

  static final SagaType<RelayCommand, RelayEvent, RelayState> RELAY =
      SagaType.of(
          EntityType.of(
              "relay",
              RelayCommand.class,
              RelayEvent.class,
              new RelayState("", "", 0, false),
              (state, command) -> {
                Relay relay = (Relay) command;
                return Outcome.persist(new Relayed(relay.targetType(), relay.to(), relay.n()));
              },
              (state, event) ->
                  event instanceof Relayed r
                      ? new RelayState(r.targetType(), r.to(), r.n(), false)
                      : new RelayState(state.targetType(), state.to(), state.n(), true)),
          (id, state) ->
              state.targetType().isEmpty() || state.done()
                  ? java.util.Optional.empty()
                  : java.util.Optional.of(
                      new SagaStep(
                          state.targetType(), state.to(), new Add(state.n()), "relay:" + id)),
          (state, step, result) ->
              Outcome.persist(new Delivered(result instanceof StepResult.Accepted)));

  private static ActorTestKit testKit;
  private static StarfishSharding sharding;

  @BeforeAll
  static void startSingleNodeCluster() {
    testKit =
        ShardingTestSupport.singleNodeCluster(
            "StarfishShardingTest",
            "starfish.sharding.passivate-idle-after = 3s\n"
                // quick saga retries, well inside the 3 s passivation (checked at start); 3 s so
                // that a
                // slow machine does not passivate an entity between a test's ask and its check
                + "starfish.sharding.saga { step-timeout = 200ms, retry-min-backoff = 50ms,"
                + " retry-max-backoff = 100ms }");
    sharding = StarfishSharding.init(testKit.system(), EntityRegistry.of(TALLY, NOTEBOOK, RELAY));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static EntityResult ask(String type, String id, String json) throws Exception {
    return ShardingTestSupport.ask(sharding, type, id, json);
  }

  /** The relays running on this (only) node. */
  private static java.util.Set<String> runningRelays() throws Exception {
    return sharding
        .localShards(Duration.ofSeconds(5))
        .toCompletableFuture()
        .get(15, TimeUnit.SECONDS)
        .getOrDefault("relay", java.util.Map.of())
        .values()
        .stream()
        .flatMap(java.util.Set::stream)
        .collect(java.util.stream.Collectors.toSet());
  }

  private static boolean relayDone(String id) throws Exception {
    EntityResult.Current current =
        (EntityResult.Current)
            sharding
                .ask("relay", id, EntityMessage.GetState::new, Duration.ofSeconds(5))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    return current.state().get("done").asBoolean();
  }

  @Test
  void aSagaSendsItsStepThroughShardingAndAnUnansweredOneKeepsRunning() throws Exception {
    ask(
        "relay",
        "r-done",
        "{\"type\":\"relay\",\"targetType\":\"tally\",\"to\":\"relayed\",\"n\":4}");
    // a target type that does not exist: the step never gets an answer, the saga keeps trying
    ask("relay", "r-stuck", "{\"type\":\"relay\",\"targetType\":\"void\",\"to\":\"x\",\"n\":1}");

    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(
            () ->
                ((EntityResult.Current)
                            sharding
                                .ask(
                                    "tally",
                                    "relayed",
                                    EntityMessage.GetState::new,
                                    Duration.ofSeconds(5))
                                .toCompletableFuture()
                                .get(10, TimeUnit.SECONDS))
                        .state()
                        .get("total")
                        .asInt()
                    == 4);
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> relayDone("r-done"));
    // Not passivated (3 s here) although it gets no answer: its retries keep it running, so that
    // remember-entities would restart it after a crash.
    Awaitility.await()
        .during(Duration.ofMillis(4500))
        .atMost(Duration.ofSeconds(10))
        .until(() -> runningRelays().contains("r-stuck"));
    assertThat(relayDone("r-stuck")).isFalse();
  }

  @Test
  void passivationShorterThanASagasLongestWaitIsRefusedAtStart() {
    ShardingSettings quick =
        new ShardingSettings(java.util.Optional.of(Duration.ofSeconds(5)), true, "d");
    SagaSettings sagas =
        new SagaSettings(Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofSeconds(5));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> quick.requireSagasOutliveTheirWaits(EntityRegistry.of(RELAY), sagas))
        .hasMessageContaining("passivate-idle-after");
    quick.requireSagasOutliveTheirWaits(EntityRegistry.of(TALLY), sagas);
  }

  @Test
  void aDeclaredEntityPersistsAndAnswersThroughSharding() throws Exception {
    assertThat(sharding.isStarted()).isTrue();
    ask("tally", "t1", "{\"type\":\"add\",\"n\":2}");
    EntityResult result = ask("tally", "t1", "{\"type\":\"add\",\"n\":3}");

    assertThat(result).isInstanceOf(EntityResult.Accepted.class);
    EntityResult.Accepted accepted = (EntityResult.Accepted) result;
    assertThat(accepted.version()).isEqualTo(2);
    assertThat(accepted.state().get("total").asInt()).isEqualTo(5);
    assertThat(accepted.reply().toString())
        .isEqualTo("{\"events\":[{\"type\":\"added\",\"n\":3}]}");
  }

  @Test
  void eachIdIsItsOwnEntityAndRejectionsPersistNothing() throws Exception {
    ask("tally", "t2", "{\"type\":\"add\",\"n\":1}");
    assertThat(ask("tally", "t2", "{\"type\":\"add\",\"n\":1000}"))
        .isEqualTo(new EntityResult.Rejected("too much"));

    EntityResult state =
        sharding
            .ask("tally", "t2", EntityMessage.GetState::new, Duration.ofSeconds(10))
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    assertThat(((EntityResult.Current) state).version()).isEqualTo(1);
    assertThat(((EntityResult.Current) state).state().get("total").asInt()).isEqualTo(1);
  }

  @Test
  void aHandWrittenEventSourcedBehaviorIsServedTheSameWay() throws Exception {
    EntityResult result = ask("notebook", "n1", "{\"type\":\"note\",\"text\":\"hello\"}");
    assertThat(result).isInstanceOf(EntityResult.Accepted.class);
    assertThat(((EntityResult.Accepted) result).state().get("last").asText()).isEqualTo("hello");
    assertThat(ask("notebook", "n1", "{\"type\":\"scribble\"}"))
        .isInstanceOf(EntityResult.Invalid.class);
  }

  @Test
  void anUnknownTypeFailsTheAskInsteadOfHanging() {
    assertThat(
            sharding
                .ask("nope", "x", EntityMessage.GetState::new, Duration.ofSeconds(1))
                .toCompletableFuture())
        .isCompletedExceptionally();
  }

  private static int entitiesInShardOf(String type, String id) throws Exception {
    return ShardingTestSupport.entitiesInShardOf(sharding, type, id);
  }

  @Test
  void anIdleEntityIsPassivatedAndComesBackWithItsStateOnTheNextMessage() throws Exception {
    ask("tally", "idle-1", "{\"type\":\"add\",\"n\":7}");
    assertThat(entitiesInShardOf("tally", "idle-1"))
        .as("the entity is alive in the shard that shardIdOf names")
        .isGreaterThanOrEqualTo(1);

    // passivate-idle-after = 3s in this test's config
    Awaitility.await("idle entity passivated")
        .atMost(15, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> entitiesInShardOf("tally", "idle-1") == 0);

    EntityResult.Accepted next =
        (EntityResult.Accepted) ask("tally", "idle-1", "{\"type\":\"add\",\"n\":1}");
    assertThat(next.version()).isEqualTo(2);
    assertThat(next.state().get("total").asInt()).isEqualTo(8);
  }

  @Test
  void aCrashRequestMakesSupervisionRestartTheEntityWhichRecoversItsState() throws Exception {
    ask("tally", "crashy", "{\"type\":\"add\",\"n\":4}");
    long restartsBefore =
        io.starfish.supervision.FailureStatistics.get(testKit.system())
            .forEntityType("tally")
            .restarts();
    java.util.OptionalLong first =
        EntityTelemetry.get(testKit.system()).lastRecovery("tally", "crashy");
    assertThat(first).as("first recovery reported").isPresent();
    long recoveredBefore = first.getAsLong();

    assertThat(sharding.crash("tally", "crashy")).isTrue();
    assertThat(sharding.crash("nope", "crashy")).isFalse();

    org.awaitility.Awaitility.await("the crashed entity restarted and recovered")
        .atMost(10, TimeUnit.SECONDS)
        .until(
            () ->
                EntityTelemetry.get(testKit.system()).lastRecovery("tally", "crashy").getAsLong()
                        - recoveredBefore
                    > 0);
    assertThat(
            io.starfish.supervision.FailureStatistics.get(testKit.system())
                .forEntityType("tally")
                .restarts())
        .isEqualTo(restartsBefore + 1);
    EntityResult.Current state =
        (EntityResult.Current)
            sharding
                .ask("tally", "crashy", EntityMessage.GetState::new, Duration.ofSeconds(10))
                .toCompletableFuture()
                .get(15, TimeUnit.SECONDS);
    assertThat(state.version()).isEqualTo(1);
    assertThat(state.state().get("total").asInt()).isEqualTo(4);
  }

  @Test
  void commandsAndPersistsAreTimedPerTypeAndLocalShardsListRunningEntities() throws Exception {
    var registry = io.starfish.observability.StarfishMetrics.get(testKit.system()).registry();
    long acceptedBefore = timerCount(registry, "starfish.entity.commands", "outcome", "accepted");
    long rejectedBefore = timerCount(registry, "starfish.entity.commands", "outcome", "rejected");
    long persistedBefore = timerCount(registry, "starfish.entity.persist", "type", "tally");

    ask("tally", "timed", "{\"type\":\"add\",\"n\":1}");
    ask("tally", "timed", "{\"type\":\"add\",\"n\":1000}"); // rejected: over the limit

    assertThat(timerCount(registry, "starfish.entity.commands", "outcome", "accepted"))
        .isEqualTo(acceptedBefore + 1);
    assertThat(timerCount(registry, "starfish.entity.commands", "outcome", "rejected"))
        .isEqualTo(rejectedBefore + 1);
    assertThat(timerCount(registry, "starfish.entity.persist", "type", "tally"))
        .isEqualTo(persistedBefore + 1);

    var local =
        sharding.localShards(Duration.ofSeconds(3)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(local.get("tally").get(sharding.shardIdOf("timed"))).contains("timed");
  }

  private static long timerCount(
      io.micrometer.core.instrument.MeterRegistry registry, String name, String tag, String value) {
    return registry.find(name).tag("type", "tally").tag(tag, value).timers().stream()
        .mapToLong(io.micrometer.core.instrument.Timer::count)
        .sum();
  }
}
