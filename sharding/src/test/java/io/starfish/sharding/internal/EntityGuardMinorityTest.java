package io.starfish.sharding.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.util.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.Option;
import scala.collection.immutable.TreeSet$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The minority guard: a node that reaches only a minority of the members that are staying in the
 * cluster refuses writes; members on their way out (Leaving, Exiting) or gone (Down, Removed) do
 * not count.
 */
class EntityGuardMinorityTest {

  private static int nextPort = 25520;

  private static Member member(MemberStatus status) {
    Address address = new Address("pekko", "starfish", "127.0.0.1", nextPort++);
    // Member.dataCenter() reads the data center from the "dc-" role, which Pekko always adds
    scala.collection.immutable.Set<String> roles =
        CollectionConverters.asScala(java.util.Set.of("dc-default")).toSet();
    return new Member(new UniqueAddress(address, 1L), 1, status, roles, Version.Zero());
  }

  private static Member up() {
    return member(MemberStatus.up());
  }

  private static CurrentClusterState state(List<Member> members, List<Member> unreachable) {
    scala.collection.immutable.SortedSet<Member> sortedMembers =
        TreeSet$.MODULE$.from(CollectionConverters.asScala(members), Member.ordering());
    scala.collection.immutable.Set<Member> unreachableSet =
        CollectionConverters.asScala(unreachable).toSet();
    return new CurrentClusterState(
        sortedMembers,
        unreachableSet,
        scala.collection.immutable.Set$.MODULE$.empty(),
        Option.empty(),
        scala.collection.immutable.Map$.MODULE$.empty(),
        scala.collection.immutable.Set$.MODULE$.empty(),
        scala.collection.immutable.Set$.MODULE$.empty());
  }

  private static Optional<String> problem(
      Member self, List<Member> members, List<Member> unreachable) {
    return EntityGuard.minorityProblem(state(members, unreachable), self);
  }

  @Test
  void aFullyReachableClusterTakesWrites() {
    Member self = up();
    assertThat(problem(self, List.of(self, up(), up()), List.of())).isEmpty();
  }

  @Test
  void aNodeThatReachesOnlyOneOfThreeRefuses() {
    Member self = up();
    Member b = up();
    Member c = up();
    assertThat(problem(self, List.of(self, b, c), List.of(b, c)))
        .hasValueSatisfying(p -> assertThat(p).contains("reaches only 1 of 3"));
  }

  @Test
  void aNodeThatReachesTwoOfThreeTakesWrites() {
    Member self = up();
    Member b = up();
    assertThat(problem(self, List.of(self, b, up()), List.of(b))).isEmpty();
  }

  @Test
  void anEvenSplitIsLeftToTheSplitBrainResolver() {
    Member self = up();
    Member c = up();
    Member d = up();
    assertThat(problem(self, List.of(self, up(), c, d), List.of(c, d))).isEmpty();
  }

  @Test
  void aNodeOthersMarkedUnreachableRefusesEvenWhenItReachesTheRest() {
    Member self = up();
    assertThat(problem(self, List.of(self, up(), up(), up(), up()), List.of(self)))
        .hasValueSatisfying(p -> assertThat(p).contains("this node is unreachable"));
  }

  /**
   * The rolling-restart case from CI: of three members one is leaving (and already unreachable),
   * one just started and missed a heartbeat. Without the leaving one, this node reaches 1 of 2: an
   * even split, not a minority.
   */
  @ParameterizedTest
  @ValueSource(strings = {"Leaving", "Exiting", "Down", "Removed"})
  void membersOnTheirWayOutDoNotCountTowardsTheMajority(String statusName) {
    Member self = up();
    Member departing = member(status(statusName));
    Member warmingUp = up();
    assertThat(problem(self, List.of(self, departing, warmingUp), List.of(departing, warmingUp)))
        .isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Joining", "WeaklyUp", "Up"})
  void stayingMembersDoCountTowardsTheMajority(String statusName) {
    Member self = up();
    Member other = member(status(statusName));
    Member third = up();
    assertThat(problem(self, List.of(self, other, third), List.of(other, third)))
        .hasValueSatisfying(p -> assertThat(p).contains("reaches only 1 of 3"));
  }

  @Test
  void reachableDepartingMembersDoNotMakeAMinorityLookLikeAMajority() {
    Member self = up();
    Member b = up();
    Member c = up();
    List<Member> members = new ArrayList<>(List.of(self, b, c));
    members.add(member(MemberStatus.leaving()));
    members.add(member(MemberStatus.exiting()));
    // counted, the two departing members would make it 3 of 5 reachable
    assertThat(problem(self, members, List.of(b, c)))
        .hasValueSatisfying(p -> assertThat(p).contains("reaches only 1 of 3"));
  }

  private static MemberStatus status(String name) {
    return switch (name) {
      case "Joining" -> MemberStatus.joining();
      case "WeaklyUp" -> MemberStatus.weaklyUp();
      case "Up" -> MemberStatus.up();
      case "Leaving" -> MemberStatus.leaving();
      case "Exiting" -> MemberStatus.exiting();
      case "Down" -> MemberStatus.down();
      case "Removed" -> MemberStatus.removed();
      default -> throw new IllegalArgumentException(name);
    };
  }
}
