package io.starfish.sharding.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;

/**
 * Readiness of sharding at a node's start: for every entity type, the shard coordinator (a
 * singleton on the oldest node) is active and has registered this node's region. Until then a
 * request routed here waits in the region for shard homes the coordinator cannot give yet: at a
 * cluster's start the coordinator first reads its state from a majority of the nodes, which fails
 * while they are still warming up (Pekko then retries after waiting-for-state-timeout, 5 s), and
 * the first requests after "ready" waited past the ask timeout (fault-suite logs, 2026-12-01). Asks
 * each region for {@link ShardRegion#getCurrentRegionsInstance()}, which Pekko provides for exactly
 * this ("to see when cluster sharding is ready"): the coordinator stashes it until it is active.
 * Sticky: once every type answered with this node's region, the check holds for good, so a busy
 * coordinator later never makes the node look unready.
 */
public final class CoordinatorsReady {

  private final ActorSystem system;
  private final List<String> typeNames;
  private final Duration timeout;
  private volatile boolean seen;

  public CoordinatorsReady(ActorSystem system, List<String> typeNames, Duration timeout) {
    this.system = system;
    this.typeNames = List.copyOf(typeNames);
    this.timeout = timeout;
  }

  /** Empty when every coordinator is active and knows this node's region; else why not. */
  public CompletionStage<Optional<String>> problem() {
    if (seen) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Address self = Cluster.get(system).selfAddress();
    List<CompletableFuture<Optional<String>>> answers = new ArrayList<>();
    for (String type : typeNames) {
      answers.add(
          Patterns.ask(
                  ClusterSharding.get(system).shardRegion(type),
                  ShardRegion.getCurrentRegionsInstance(),
                  timeout)
              .toCompletableFuture()
              .handle(
                  (reply, failure) -> {
                    if (failure != null) {
                      return Optional.of(type + ": shard coordinator not active yet");
                    }
                    if (!((ShardRegion.CurrentRegions) reply).getRegions().contains(self)) {
                      return Optional.of(type + ": region not registered with the coordinator yet");
                    }
                    return Optional.<String>empty();
                  }));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<String> problems =
                  answers.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList();
              if (problems.isEmpty()) {
                seen = true;
                return Optional.empty();
              }
              return Optional.of(String.join("; ", problems));
            });
  }
}
