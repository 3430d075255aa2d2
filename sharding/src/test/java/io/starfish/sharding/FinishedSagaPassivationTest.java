package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * starfish.sharding.saga.passivate-finished-after: a finished saga leaves its shard (and so the
 * remembered set) long before the ordinary idle passivation (one minute here), while a saga that
 * still has a step to send stays. Uses {@link StarfishShardingTest}'s relay saga and tally.
 */
class FinishedSagaPassivationTest {

  private static ActorTestKit testKit;
  private static StarfishSharding sharding;

  @BeforeAll
  static void startSingleNodeCluster() {
    testKit =
        ShardingTestSupport.singleNodeCluster(
            "FinishedSagaPassivationTest",
            "starfish.sharding.passivate-idle-after = 1 minute\n"
                + "starfish.sharding.saga { step-timeout = 200ms, retry-min-backoff = 50ms,"
                + " retry-max-backoff = 100ms, passivate-finished-after = 500ms }");
    sharding =
        StarfishSharding.init(
            testKit.system(),
            EntityRegistry.of(StarfishShardingTest.TALLY, StarfishShardingTest.RELAY));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static EntityResult ask(String type, String id, String json) throws Exception {
    return ShardingTestSupport.ask(sharding, type, id, json);
  }

  private static EntityResult.Current state(String type, String id) throws Exception {
    return (EntityResult.Current)
        sharding
            .ask(type, id, EntityMessage.GetState::new, Duration.ofSeconds(5))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  private static int running(String type, String id) throws Exception {
    return ShardingTestSupport.entitiesInShardOf(sharding, type, id);
  }

  @Test
  void aFinishedSagaIsPassivatedSoonAndAnUnfinishedOneKeepsRunning() throws Exception {
    // running() counts a shard's relays, so the two sagas must live in different shards.
    String finished = "fin-1";
    String stuck =
        java.util.stream.IntStream.range(0, 1000)
            .mapToObj(i -> "stuck-" + i)
            .filter(id -> !sharding.shardIdOf(id).equals(sharding.shardIdOf(finished)))
            .findFirst()
            .orElseThrow();
    ask("relay", finished, "{\"type\":\"relay\",\"targetType\":\"tally\",\"to\":\"sum\",\"n\":3}");
    // a target type that does not exist: this saga keeps its step and keeps trying
    ask("relay", stuck, "{\"type\":\"relay\",\"targetType\":\"void\",\"to\":\"x\",\"n\":1}");

    Awaitility.await("the finished saga delivered its step")
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> state("tally", "sum").state().get("total").asInt() == 3);
    Awaitility.await("the finished saga passivated, well before the 1 minute idle passivation")
        .atMost(15, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> running("relay", finished) == 0);
    assertThat(running("relay", stuck)).as("the unfinished saga still runs").isEqualTo(1);

    // Reading it again starts it from its journal, finished.
    EntityResult.Current again = state("relay", finished);
    assertThat(again.state().get("done").asBoolean()).isTrue();
    assertThat(again.version()).isEqualTo(2);
  }
}
