package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Durable timers end to end in one node (in-memory journal and index): the sweepers find a due
 * timer and deliver it through sharding, also to an entity that was passivated meanwhile; a
 * cancelled one never fires; each firing is applied once.
 */
class TimerSweeperTest {

  sealed interface Command permits Arm, Disarm, Ring {}

  record Arm(long millis) implements Command {}

  record Disarm() implements Command {}

  @TimerOnly
  record Ring() implements Command {}

  sealed interface Event extends CborSerializable permits Armed, Disarmed, Rang {}

  record Armed() implements Event {}

  record Disarmed() implements Event {}

  record Rang() implements Event {}

  record Bell(int rings, boolean armed) implements CborSerializable {}

  static final EntityType<Command, Event, Bell> BELL =
      EntityType.of(
          "bell",
          Command.class,
          Event.class,
          new Bell(0, false),
          (Bell bell, Command command) -> {
            if (command instanceof Arm arm) {
              return Outcome.persist(new Armed())
                  .andSchedule("ring", Duration.ofMillis(arm.millis()), new Ring());
            }
            if (command instanceof Disarm) {
              return Outcome.persist(new Disarmed()).andCancel("ring");
            }
            return Outcome.persist(new Rang());
          },
          (bell, event) ->
              event instanceof Rang
                  ? new Bell(bell.rings() + 1, false)
                  : new Bell(bell.rings(), event instanceof Armed));

  private static ActorTestKit testKit;
  private static StarfishSharding sharding;

  @BeforeAll
  static void start() {
    testKit =
        ShardingTestSupport.singleNodeCluster(
            "TimerSweeperTest",
            "starfish.sharding.passivate-idle-after = 300ms\n"
                + "starfish.timers.poll-interval = 200ms\n"
                + "starfish.timers.pending-count-interval = 300ms\n");
    sharding = StarfishSharding.init(testKit.system(), EntityRegistry.of(BELL));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static JsonNode state(String id) throws Exception {
    EntityResult result =
        sharding
            .ask("bell", id, EntityMessage.GetState::new, Duration.ofSeconds(10))
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    return ((EntityResult.Current) result).state();
  }

  @Test
  void aDueTimerIsDeliveredToItsPassivatedEntityAndAppliedOnce() throws Exception {
    assertThat(
            ShardingTestSupport.ask(sharding, "bell", "b-1", "{\"type\":\"arm\",\"millis\":3000}"))
        .isInstanceOf(EntityResult.Accepted.class);
    Awaitility.await("passivated before its timer is due")
        .atMost(5, TimeUnit.SECONDS)
        .until(() -> ShardingTestSupport.entitiesInShardOf(sharding, "bell", "b-1") == 0);
    Awaitility.await("rang")
        .atMost(15, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> state("b-1").get("rings").asInt() >= 1);
    // delivered at least once, applied once: a second ring never comes
    Awaitility.await("still one ring")
        .during(Duration.ofSeconds(2))
        .atMost(5, TimeUnit.SECONDS)
        .until(() -> state("b-1").get("rings").asInt() == 1);
  }

  @Test
  void aCancelledTimerNeverFires() throws Exception {
    // b-2 is disarmed at once; b-3, armed after it with the same delay, is due later, so its ring
    // proves the sweeper has passed b-2's due time (however slow the machine is)
    ShardingTestSupport.ask(sharding, "bell", "b-2", "{\"type\":\"arm\",\"millis\":2000}");
    ShardingTestSupport.ask(sharding, "bell", "b-2", "{\"type\":\"disarm\"}");
    ShardingTestSupport.ask(sharding, "bell", "b-3", "{\"type\":\"arm\",\"millis\":2000}");
    Awaitility.await("b-3, due after b-2, rang")
        .atMost(15, TimeUnit.SECONDS)
        .until(() -> state("b-3").get("rings").asInt() == 1);
    assertThat(state("b-2").get("rings").asInt()).isZero();
  }

  private static double pendingGauge() {
    var gauge =
        io.starfish.observability.StarfishMetrics.get(testKit.system())
            .registry()
            .find("starfish.timers.pending")
            .gauge();
    return gauge == null ? -1 : gauge.value();
  }

  @Test
  void thePendingGaugeCountsScheduledTimersUntilTheyAreCancelled() throws Exception {
    ShardingTestSupport.ask(sharding, "bell", "b-4", "{\"type\":\"arm\",\"millis\":60000}");
    ShardingTestSupport.ask(sharding, "bell", "b-5", "{\"type\":\"arm\",\"millis\":60000}");
    Awaitility.await("two pending timers counted")
        .atMost(15, TimeUnit.SECONDS)
        .until(() -> pendingGauge() >= 2);
    ShardingTestSupport.ask(sharding, "bell", "b-4", "{\"type\":\"disarm\"}");
    ShardingTestSupport.ask(sharding, "bell", "b-5", "{\"type\":\"disarm\"}");
    Awaitility.await("none pending once both are cancelled")
        .atMost(15, TimeUnit.SECONDS)
        .until(() -> pendingGauge() == 0);
  }
}
