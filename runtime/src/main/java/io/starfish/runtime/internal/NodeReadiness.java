package io.starfish.runtime.internal;

import io.starfish.http.ReadinessCheck;
import io.starfish.persistence.JournalCircuit;
import io.starfish.persistence.JournalSchema;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** What this node's readiness ({@code /health/ready}, the management endpoint) consists of. */
public final class NodeReadiness {

  private NodeReadiness() {}

  /**
   * The checks, in the order they are reported: cluster membership, sharding ({@code sharding},
   * e.g. {@code StarfishSharding::readinessProblem}), the journal and its schema, shutdown.
   */
  public static List<ReadinessCheck> checks(
      ActorSystem<?> system, Supplier<CompletionStage<Optional<String>>> sharding) {
    Cluster cluster = Cluster.get(system);
    JournalCircuit journal = JournalCircuit.get(system);
    return List.of(
        new ReadinessCheck(
            "cluster",
            () -> CompletableFuture.completedFuture(memberProblem(cluster.selfMember().status()))),
        new ReadinessCheck("sharding", sharding),
        new ReadinessCheck("journal", journal::check),
        new ReadinessCheck("journal-schema", JournalSchema.get(system)::check),
        new ReadinessCheck(
            "shutdown",
            () ->
                CompletableFuture.completedFuture(
                    CoordinatedShutdown.get(system)
                        .getShutdownReason()
                        .map(reason -> "node is shutting down (" + reason + ")"))));
  }

  /** Readiness of the cluster membership: only an Up member serves. */
  private static Optional<String> memberProblem(MemberStatus status) {
    if (status == MemberStatus.up()) {
      return Optional.empty();
    }
    // Before it has joined, a node reports itself as Removed.
    return Optional.of(
        status == MemberStatus.removed() ? "not a cluster member yet" : "member is " + status);
  }
}
