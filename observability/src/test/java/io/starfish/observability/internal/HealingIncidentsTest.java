package io.starfish.observability.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.observability.HealingEvent;
import io.starfish.observability.HealingEvent.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

class HealingIncidentsTest {

  private static final Address VICTIM = new Address("pekko", "starfish", "127.0.0.2", 2552);
  private static final long MS = 1_000_000L;
  private static final long START_NANOS = 5_000 * MS;
  private static final long START_WALL = 1_700_000_000_000L;

  private final List<HealingEvent> steps = new ArrayList<>();
  private final List<Duration> unreachableToDowned = new ArrayList<>();
  private final List<Duration> downedToRecovered = new ArrayList<>();
  private final Map<String, Long> recoveredAt = new HashMap<>();

  private final HealingIncidents incidents =
      new HealingIncidents(
          Duration.ofSeconds(60),
          (type, id) -> {
            Long at = recoveredAt.get(type + "|" + id);
            return at == null ? OptionalLong.empty() : OptionalLong.of(at);
          },
          new HealingIncidents.Effects() {
            @Override
            public void step(HealingEvent event) {
              steps.add(event);
            }

            @Override
            public void unreachableToDowned(Duration duration) {
              unreachableToDowned.add(duration);
            }

            @Override
            public void downedToRecovered(Duration duration) {
              downedToRecovered.add(duration);
            }
          },
          START_WALL,
          START_NANOS);

  /** System.nanoTime() {@code ms} milliseconds after the start. */
  private static long at(long ms) {
    return START_NANOS + ms * MS;
  }

  private static Map<String, Map<String, Set<String>>> shards(String... shardAndIds) {
    Map<String, Set<String>> byShard = new HashMap<>();
    for (String entry : shardAndIds) {
      String[] parts = entry.split(":");
      byShard.put(parts[0], parts.length > 1 ? Set.of(parts[1].split(",")) : Set.of());
    }
    return Map.of("account", byShard);
  }

  private List<Kind> kinds() {
    return steps.stream().map(HealingEvent::kind).toList();
  }

  private HealingEvent last(Kind kind) {
    return steps.stream().filter(step -> step.kind() == kind).reduce((a, b) -> b).orElseThrow();
  }

  @Test
  void followsACrashFromUnreachableToItsEntitiesRecoveredHere() {
    incidents.polled(shards("1:a"), at(0));
    incidents.unreachable(VICTIM, at(1_000));
    assertThat(incidents.takePollRequest()).as("a baseline poll is asked for").isTrue();
    incidents.polled(shards("1:a"), at(1_010));
    incidents.memberDowned(VICTIM, at(3_000), "the resolver");
    assertThat(incidents.healing()).isTrue();
    incidents.memberRemoved(VICTIM, MemberStatus.down(), at(3_200));

    // shard 7 arrives with two entities, one of them recovered so far
    recoveredAt.put("account|b", at(3_600));
    incidents.polled(shards("1:a", "7:b,c"), at(3_700));
    assertThat(last(Kind.SHARDS_REALLOCATED).durationMs()).isEqualTo(600);
    assertThat(last(Kind.SHARDS_REALLOCATED).durationFrom()).isEqualTo(Kind.MEMBER_DOWNED);
    assertThat(kinds()).doesNotContain(Kind.ENTITIES_RECOVERED);

    recoveredAt.put("account|c", at(3_900));
    incidents.polled(shards("1:a", "7:b,c"), at(4_000));
    assertThat(kinds())
        .as("recovered, but not yet settled")
        .doesNotContain(Kind.ENTITIES_RECOVERED);
    incidents.polled(shards("1:a", "7:b,c"), at(4_250));
    incidents.polled(shards("1:a", "7:b,c"), at(4_500));

    assertThat(kinds())
        .containsExactly(
            Kind.MEMBER_UNREACHABLE,
            Kind.MEMBER_DOWNED,
            Kind.MEMBER_REMOVED,
            Kind.SHARDS_REALLOCATED,
            Kind.ENTITIES_RECOVERED);
    HealingEvent recovered = last(Kind.ENTITIES_RECOVERED);
    assertThat(recovered.at()).as("stamped with the last recovery").isEqualTo(START_WALL + 3_900);
    assertThat(recovered.durationMs()).isEqualTo(900);
    assertThat(recovered.detail()).startsWith("2 of its entities");
    assertThat(last(Kind.MEMBER_DOWNED).durationMs()).isEqualTo(2_000);
    assertThat(last(Kind.MEMBER_DOWNED).detail()).isEqualTo("downed by the resolver");
    assertThat(unreachableToDowned).containsExactly(Duration.ofMillis(2_000));
    assertThat(downedToRecovered).containsExactly(Duration.ofMillis(900));
    assertThat(incidents.healing()).isFalse();
  }

  @Test
  void shardsThisNodeHadBeforeTheFailureAreNotCountedAsMovedHere() {
    incidents.polled(shards("1:a", "2:x"), at(0));
    incidents.unreachable(VICTIM, at(100));
    incidents.polled(shards("1:a", "2:x"), at(150));
    incidents.memberDowned(VICTIM, at(1_000), "the resolver");
    recoveredAt.put("account|x", at(1_100)); // restarted by supervision, not moved
    recoveredAt.put("account|n", at(1_200));
    for (long t = 1_300; t <= 2_000; t += 250) {
      incidents.polled(shards("1:a", "2:x", "9:n"), at(t));
    }
    assertThat(last(Kind.SHARDS_REALLOCATED).detail()).startsWith("1 of its shards").contains("9");
    assertThat(last(Kind.ENTITIES_RECOVERED).detail()).startsWith("1 of its entities");
  }

  @Test
  void anEntityThatRecoveredBeforeTheMoveDoesNotCount() {
    incidents.polled(shards(), at(0));
    recoveredAt.put("account|b", at(500)); // an old recovery, before the downing
    incidents.memberDowned(VICTIM, at(1_000), "the resolver");
    for (long t = 1_250; t <= 3_000; t += 250) {
      incidents.polled(shards("7:b"), at(t));
    }
    assertThat(kinds()).contains(Kind.SHARDS_REALLOCATED).doesNotContain(Kind.ENTITIES_RECOVERED);
    assertThat(incidents.healing()).isTrue();
  }

  @Test
  void aGracefulLeaveIsNotAnIncident() {
    incidents.memberLeft(VICTIM, at(0));
    incidents.memberRemoved(VICTIM, MemberStatus.exiting(), at(2_500));
    assertThat(kinds()).containsExactly(Kind.MEMBER_LEAVING, Kind.MEMBER_REMOVED);
    assertThat(last(Kind.MEMBER_REMOVED).durationMs()).isEqualTo(2_500);
    assertThat(last(Kind.MEMBER_REMOVED).durationFrom()).isEqualTo(Kind.MEMBER_LEAVING);
    assertThat(incidents.healing()).isFalse();
  }

  @Test
  void aMemberReachableAgainBeforeItWasDownedClosesItsIncident() {
    incidents.unreachable(VICTIM, at(0));
    incidents.reachable(VICTIM, at(700));
    assertThat(last(Kind.MEMBER_REACHABLE).durationMs()).isEqualTo(700);
    incidents.polled(shards("7:b"), at(800));
    assertThat(incidents.healing()).isFalse();
    assertThat(kinds()).doesNotContain(Kind.SHARDS_REALLOCATED);
  }

  @Test
  void aRemovalNotSeenAsDownStartsTheMoveWithoutTheDowningHistogram() {
    incidents.polled(shards(), at(0));
    incidents.memberRemoved(VICTIM, MemberStatus.up(), at(1_000));
    recoveredAt.put("account|b", at(1_400));
    for (long t = 1_500; t <= 2_500; t += 250) {
      incidents.polled(shards("7:b"), at(t));
    }
    assertThat(last(Kind.ENTITIES_RECOVERED).durationFrom()).isEqualTo(Kind.MEMBER_REMOVED);
    assertThat(last(Kind.ENTITIES_RECOVERED).durationMs()).isEqualTo(400);
    assertThat(downedToRecovered).isEmpty();
  }

  @Test
  void aFailureWhoseShardsNeverComeHereClosesAtTheTimeoutWithoutAStep() {
    incidents.polled(shards("1:a"), at(0));
    incidents.memberDowned(VICTIM, at(1_000), "the resolver");
    incidents.polled(shards("1:a"), at(30_000));
    assertThat(incidents.healing()).isTrue();
    incidents.pollFailed(at(61_001));
    assertThat(incidents.healing()).isFalse();
    assertThat(kinds()).containsExactly(Kind.MEMBER_DOWNED);
  }

  @Test
  void atTheTimeoutItSaysHowManyOfTheMovedEntitiesRecovered() {
    incidents.polled(shards(), at(0));
    incidents.memberDowned(VICTIM, at(1_000), "the resolver");
    recoveredAt.put("account|b", at(1_200));
    incidents.polled(shards("7:b,c"), at(1_500));
    incidents.polled(shards("7:b,c"), at(62_000));
    assertThat(last(Kind.ENTITIES_RECOVERED).detail()).startsWith("1 of 2 entities");
    assertThat(incidents.healing()).isFalse();
    assertThat(downedToRecovered).isEmpty();
  }

  @Test
  void anIncidentWithNoEntitiesInItsShardsEndsAfterLongerSettling() {
    incidents.polled(shards(), at(0));
    incidents.memberDowned(VICTIM, at(1_000), "the resolver");
    int polls = 0;
    while (!kinds().contains(Kind.ENTITIES_RECOVERED) && polls < 20) {
      incidents.polled(shards("7"), at(1_250 + 250L * polls++));
    }
    assertThat(polls).isEqualTo(1 + Incident.SETTLE_POLLS * 4);
    assertThat(last(Kind.ENTITIES_RECOVERED).detail()).startsWith("no entities were running");
  }
}
