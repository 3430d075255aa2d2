package io.starfish.sharding.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import scala.collection.immutable.IndexedSeq;
import scala.jdk.javaapi.CollectionConverters;

class SettledRegionAllocationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final AtomicLong now = new AtomicLong();
  private final SettledRegionAllocation allocation =
      new SettledRegionAllocation(
          ShardCoordinator.ShardAllocationStrategy$.MODULE$.leastShardAllocationStrategy(20, 0.1),
          Duration.ofSeconds(30),
          now::get);

  private static ActorRef region() {
    return Adapter.toClassic(testKit.<Object>createTestProbe().ref());
  }

  private static IndexedSeq<String> shards(String... ids) {
    return CollectionConverters.asScala(java.util.List.of(ids)).toIndexedSeq();
  }

  private java.util.Set<ActorRef> candidates(Map<ActorRef, IndexedSeq<String>> allocations) {
    return CollectionConverters.asJava(
            allocation.settled(
                scala.collection.immutable.Map$.MODULE$.from(
                    CollectionConverters.asScala(allocations))))
        .keySet();
  }

  @Test
  void aNewRegionTakesNoShardsUntilItHasSettledWhileOthersCan() {
    ActorRef old1 = region();
    ActorRef old2 = region();
    Map<ActorRef, IndexedSeq<String>> allocations = new LinkedHashMap<>();
    allocations.put(old1, shards("1", "2"));
    allocations.put(old2, shards("3", "4"));
    assertThat(candidates(allocations)).containsExactlyInAnyOrder(old1, old2);

    now.addAndGet(Duration.ofSeconds(40).toNanos());
    ActorRef fresh = region();
    allocations.put(fresh, shards());
    assertThat(candidates(allocations)).containsExactlyInAnyOrder(old1, old2);

    now.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(candidates(allocations)).containsExactlyInAnyOrder(old1, old2);

    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(candidates(allocations)).containsExactlyInAnyOrder(old1, old2, fresh);
  }

  @Test
  void whenNoRegionHasSettledAllAreCandidates() {
    ActorRef a = region();
    ActorRef b = region();
    Map<ActorRef, IndexedSeq<String>> allocations = new LinkedHashMap<>();
    allocations.put(a, shards("1"));
    allocations.put(b, shards());
    assertThat(candidates(allocations)).containsExactlyInAnyOrder(a, b);
  }

  @Test
  void aRegionThatLeftAndCameBackCountsAsNewAgain() {
    ActorRef stays = region();
    ActorRef leaves = region();
    Map<ActorRef, IndexedSeq<String>> allocations = new LinkedHashMap<>();
    allocations.put(stays, shards("1"));
    allocations.put(leaves, shards("2"));
    candidates(allocations);
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    allocations.remove(leaves);
    candidates(allocations);
    allocations.put(leaves, shards());
    assertThat(candidates(allocations)).containsExactly(stays);
  }
}
