package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.testing.InMemoryPersistence;
import io.starfish.sharding.internal.Json;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
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
        ActorTestKit.create(
            "FinishedSagaPassivationTest",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "starfish.sharding.passivate-idle-after = 1 minute\n"
                        + "starfish.sharding.saga { step-timeout = 200ms, retry-min-backoff = 50ms,"
                        + " retry-max-backoff = 100ms, passivate-finished-after = 500ms }\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n")
                .withFallback(InMemoryPersistence.config()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> cluster.selfMember().status() == MemberStatus.up());
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
    JsonNode command = Json.COMMANDS.readTree(json);
    return sharding
        .ask(
            type,
            id,
            replyTo -> new EntityMessage.Execute(command, replyTo),
            Duration.ofSeconds(10))
        .toCompletableFuture()
        .get(15, TimeUnit.SECONDS);
  }

  private static EntityResult.Current state(String type, String id) throws Exception {
    return (EntityResult.Current)
        sharding
            .ask(type, id, EntityMessage.GetState::new, Duration.ofSeconds(5))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  private static int running(String type, String id) throws Exception {
    String shard = sharding.shardIdOf(id);
    return sharding
        .placement(Duration.ofSeconds(3))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .get(type)
        .stream()
        .mapToInt(placement -> placement.entitiesPerShard().getOrDefault(shard, 0))
        .sum();
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
