package io.starfish.runtime.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.starfish.observability.StarfishMetrics;
import io.starfish.persistence.JournalCircuit;
import io.starfish.supervision.FailureStatistics;
import io.starfish.supervision.FailureStatistics.EntityTypeFailures;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The node-level meters that are read when scraped rather than recorded as things happen: cluster
 * membership by status and unreachable members (this node's view), the supervision counters of
 * {@link FailureStatistics} per entity type, and the state of the journal circuit breaker.
 */
public final class NodeMetrics {

  /** Every member status, as the label values of starfish_cluster_members. */
  private static final List<MemberStatus> STATUSES =
      List.of(
          MemberStatus.joining(),
          MemberStatus.weaklyUp(),
          MemberStatus.up(),
          MemberStatus.leaving(),
          MemberStatus.exiting(),
          MemberStatus.down(),
          MemberStatus.removed());

  private NodeMetrics() {}

  public static void bind(ActorSystem<?> system, Collection<String> entityTypes) {
    MeterRegistry registry = StarfishMetrics.get(system).registry();
    Cluster cluster = Cluster.get(system);
    for (MemberStatus status : STATUSES) {
      String label = status.toString().toLowerCase(Locale.ROOT);
      Gauge.builder("starfish.cluster.members", cluster, c -> count(c.state(), status))
          .description("Cluster members by status, as this node sees the membership")
          .tag("status", label)
          .register(registry);
    }
    Gauge.builder(
            "starfish.cluster.unreachable.members", cluster, c -> c.state().getUnreachable().size())
        .description(
            "Members that some node's failure detector marks unreachable (this node's view)")
        .register(registry);
    Gauge.builder(
            "starfish.cluster.leader",
            cluster,
            c -> c.selfMember().address().equals(c.state().getLeader()) ? 1 : 0)
        .description("1 if this node is the cluster leader, else 0")
        .register(registry);

    FailureStatistics statistics = FailureStatistics.get(system);
    for (String type : entityTypes) {
      counter(
          registry,
          statistics,
          type,
          "starfish.entity.restarts",
          "Entity restarts by supervision (after a failing command handler or journal write)",
          EntityTypeFailures::restarts);
      counter(
          registry,
          statistics,
          type,
          "starfish.entity.failures",
          "Entity failures (command handler threw, or its journal failed)",
          EntityTypeFailures::failures);
      counter(
          registry,
          statistics,
          type,
          "starfish.entity.quarantined.commands",
          "Commands refused because they are quarantined (they kept crashing their entity)",
          EntityTypeFailures::quarantinedCommands);
      counter(
          registry,
          statistics,
          type,
          "starfish.entity.persist.failures",
          "Journal writes or reads of entities that failed",
          EntityTypeFailures::persistFailures);
      counter(
          registry,
          statistics,
          type,
          "starfish.entity.given.up",
          "Entities supervision gave up on after too many restarts in a row",
          EntityTypeFailures::givenUp);
      counter(
          registry,
          statistics,
          type,
          "starfish.circuit.breaker.rejections",
          "Commands refused at once because the journal circuit breaker was open",
          EntityTypeFailures::breakerRejections);
    }
    Gauge.builder(
            "starfish.circuit.breaker.open",
            statistics,
            s -> s.openBreakers().contains(JournalCircuit.BREAKER) ? 1 : 0)
        .description("1 while the circuit breaker is open (commands refused), else 0")
        .tag("breaker", JournalCircuit.BREAKER)
        .register(registry);
  }

  private static void counter(
      MeterRegistry registry,
      FailureStatistics statistics,
      String type,
      String name,
      String description,
      ToLongFunction<EntityTypeFailures> value) {
    FunctionCounter.builder(name, statistics, s -> value.applyAsLong(s.forEntityType(type)))
        .description(description)
        .tag("type", type)
        .register(registry);
  }

  private static long count(ClusterEvent.CurrentClusterState state, MemberStatus status) {
    return StreamSupport.stream(state.getMembers().spliterator(), false)
        .map(Member::status)
        .filter(status::equals)
        .count();
  }
}
