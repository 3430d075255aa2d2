package io.starfish.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sbr.KeepMajority;
import org.apache.pekko.testkit.TestActorRef;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.apache.pekko.util.Version;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The resolver's warm-up: after a member joins or becomes Up it waits warm-up-stable-after instead
 * of stable-after, for warm-up-period; and a node in its own warm-up (or not Up yet) does not down
 * the whole cluster for instability. The resolver runs on a TestActorRef, so the cluster events it
 * is sent are handled before tell returns.
 */
class QuickTickSplitBrainResolverTest {

  private static final Duration STABLE_AFTER = Duration.ofSeconds(1);
  private static final Duration WARM_UP_STABLE_AFTER = Duration.ofSeconds(10);
  private static final Duration DOWN_ALL_WHEN_UNSTABLE = Duration.ofSeconds(15);

  private ActorSystem system;
  private QuickTickSplitBrainResolver resolver;
  private ActorRef resolverRef;

  @AfterEach
  void shutDown() {
    if (system != null) {
      TestKit.shutdownActorSystem(system);
    }
  }

  private void start(Duration warmUpPeriod, Duration warmUpStableAfter) {
    system =
        ActorSystem.create(
            "sbr",
            ConfigFactory.parseString(
                    """
                    pekko.actor.provider = cluster
                    pekko.remote.artery.canonical.port = 0
                    pekko.cluster.split-brain-resolver.stable-after = %d ms
                    pekko.cluster.split-brain-resolver.down-all-when-unstable = %d ms
                    starfish.cluster.warm-up-period = %d ms
                    starfish.cluster.warm-up-stable-after = %d ms
                    # the resolver's own tick only matters with unreachable members; keep it rare
                    starfish.cluster.sbr-tick-interval = 1 s
                    """
                        .formatted(
                            STABLE_AFTER.toMillis(),
                            DOWN_ALL_WHEN_UNSTABLE.toMillis(),
                            warmUpPeriod.toMillis(),
                            warmUpStableAfter.toMillis()))
                .withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(system);
    KeepMajority strategy =
        new KeepMajority(
            cluster.selfDataCenter(), Option.<String>empty(), cluster.selfUniqueAddress());
    FiniteDuration stableAfter = FiniteDuration.fromNanos(STABLE_AFTER.toNanos());
    TestActorRef<QuickTickSplitBrainResolver> ref =
        TestActorRef.create(
            system,
            Props.create(
                QuickTickSplitBrainResolver.class,
                () -> new QuickTickSplitBrainResolver(stableAfter, strategy)));
    resolverRef = ref;
    resolver = ref.underlyingActor();
  }

  private static int nextPort = 26520;

  private static Member otherMember(MemberStatus status) {
    return member(
        new UniqueAddress(new Address("pekko", "sbr", "127.0.0.1", nextPort++), 1L), status);
  }

  private Member self() {
    return member(Cluster.get(system).selfUniqueAddress(), MemberStatus.up());
  }

  private static Member member(UniqueAddress address, MemberStatus status) {
    // Member.dataCenter() reads the data center from the "dc-" role, which Pekko always adds
    scala.collection.immutable.Set<String> roles =
        CollectionConverters.asScala(java.util.Set.of("dc-default")).toSet();
    return new Member(address, 1, status, roles, Version.Zero());
  }

  private void send(Object clusterEvent) {
    resolverRef.tell(clusterEvent, ActorRef.noSender());
  }

  private Duration newStableWait() {
    return Duration.ofNanos(resolver.newStableDeadline().timeLeft().toNanos());
  }

  private Duration runningStableWait() {
    return Duration.ofNanos(resolver.stableDeadline().timeLeft().toNanos());
  }

  private Duration downAllWhenUnstable() {
    return Duration.ofNanos(resolver.downAllWhenUnstable().toNanos());
  }

  @Test
  void beforeAnyJoinItWaitsStableAfter() {
    start(Duration.ofSeconds(60), WARM_UP_STABLE_AFTER);

    assertThat(newStableWait()).isLessThanOrEqualTo(STABLE_AFTER);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Joined", "WeaklyUp", "Up"})
  void aJoinMakesTheRunningAndTheNextStablePeriodsLastWarmUpStableAfter(String event) {
    start(Duration.ofSeconds(60), WARM_UP_STABLE_AFTER);
    assertThat(runningStableWait()).isLessThanOrEqualTo(STABLE_AFTER);

    send(
        switch (event) {
          case "Joined" -> new ClusterEvent.MemberJoined(otherMember(MemberStatus.joining()));
          case "WeaklyUp" -> new ClusterEvent.MemberWeaklyUp(otherMember(MemberStatus.weaklyUp()));
          default -> new ClusterEvent.MemberUp(otherMember(MemberStatus.up()));
        });

    Duration moreThanStableAfter = WARM_UP_STABLE_AFTER.minus(Duration.ofSeconds(2));
    assertThat(runningStableWait()).isGreaterThan(moreThanStableAfter);
    assertThat(newStableWait()).isGreaterThan(moreThanStableAfter);
  }

  @Test
  void otherEventsDoNotStartAWarmUp() {
    start(Duration.ofSeconds(60), WARM_UP_STABLE_AFTER);

    send(new ClusterEvent.MemberLeft(otherMember(MemberStatus.leaving())));

    assertThat(newStableWait()).isLessThanOrEqualTo(STABLE_AFTER);
  }

  @Test
  void afterTheWarmUpPeriodItWaitsStableAfterAgain() {
    Duration warmUpPeriod = Duration.ofSeconds(2);
    start(warmUpPeriod, WARM_UP_STABLE_AFTER);
    send(new ClusterEvent.MemberUp(otherMember(MemberStatus.up())));
    assertThat(newStableWait()).isGreaterThan(STABLE_AFTER);

    await()
        .atMost(warmUpPeriod.plusSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> newStableWait().compareTo(STABLE_AFTER) <= 0);
  }

  @Test
  void aWarmUpStableAfterBelowStableAfterDoesNotShortenTheWait() {
    start(Duration.ofSeconds(60), Duration.ofMillis(200));

    send(new ClusterEvent.MemberUp(otherMember(MemberStatus.up())));

    assertThat(newStableWait()).isGreaterThan(STABLE_AFTER.minusMillis(500));
  }

  @Test
  void downAllWhenUnstableIsOffUntilThisNodeIsUpAndWarmedUp() {
    Duration warmUpPeriod = Duration.ofSeconds(2);
    start(warmUpPeriod, WARM_UP_STABLE_AFTER);

    // this node is not Up yet: another member becoming Up does not count
    send(new ClusterEvent.MemberUp(otherMember(MemberStatus.up())));
    assertThat(downAllWhenUnstable()).isZero();

    send(new ClusterEvent.MemberUp(self()));
    assertThat(downAllWhenUnstable()).isZero();

    await()
        .atMost(warmUpPeriod.plusSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> downAllWhenUnstable().equals(DOWN_ALL_WHEN_UNSTABLE));

    // another member's join starts the others' warm-up, not this node's own
    send(new ClusterEvent.MemberUp(otherMember(MemberStatus.up())));
    assertThat(downAllWhenUnstable()).isEqualTo(DOWN_ALL_WHEN_UNSTABLE);
  }
}
