package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.testing.InMemoryPersistence;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sharding readiness waits for the shard coordinators: a node whose regions are started but whose
 * coordinator is not active (here: the node has not joined, so no coordinator singleton runs) is
 * not ready; once it joined and the coordinator registered its region, it is.
 */
class CoordinatorReadinessTest {

  private ActorTestKit testKit;

  @AfterEach
  void stop() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void notReadyUntilTheCoordinatorIsActiveAndHasRegisteredThisRegion() throws Exception {
    testKit =
        ActorTestKit.create(
            "CoordinatorReadinessTest",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n")
                .withFallback(InMemoryPersistence.config()));
    StarfishSharding sharding =
        StarfishSharding.init(testKit.system(), EntityRegistry.of(StarfishShardingTest.TALLY));
    assertThat(sharding.isStarted()).isTrue();

    Optional<String> beforeJoin =
        sharding.readinessProblem().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(beforeJoin).as("readiness before the node joined").isPresent();
    assertThat(beforeJoin.get()).contains("tally");

    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () ->
                sharding
                    .readinessProblem()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS)
                    .isEmpty());
  }
}
