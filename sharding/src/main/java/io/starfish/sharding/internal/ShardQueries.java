package io.starfish.sharding.internal;

import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.ShardPlacement;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.Patterns;

/** Questions to the shard regions: where shards live, cluster-wide or on this node. */
public final class ShardQueries {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final List<String> types;
  private final Function<String, EntityTypeKey<EntityMessage>> keys;

  public ShardQueries(
      ActorSystem<?> system,
      Collection<String> types,
      Function<String, EntityTypeKey<EntityMessage>> keys) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.types = List.copyOf(types);
    this.keys = keys;
  }

  /** Every region of {@code type} in the cluster with its shards' entity counts. */
  public CompletionStage<ShardRegion.ClusterShardingStats> clusterStats(
      String type, Duration timeout) {
    return AskPattern.ask(
        sharding.shardState(),
        replyTo -> new GetClusterShardingStats(keys.apply(type), timeout, replyTo),
        timeout.plusSeconds(1),
        system.scheduler());
  }

  /**
   * Where the shards of every type live, per node, with entity counts, as the shard regions of the
   * whole cluster report them. Regions that do not answer within {@code timeout} are reported with
   * their shards as failed.
   */
  public CompletionStage<Map<String, List<ShardPlacement>>> placement(Duration timeout) {
    Map<String, CompletableFuture<List<ShardPlacement>>> perType = new LinkedHashMap<>();
    for (String type : types) {
      perType.put(
          type,
          clusterStats(type, timeout).thenApply(ShardQueries::placements).toCompletableFuture());
    }
    return allByType(perType);
  }

  /**
   * The shards of every type that live on this node, each with the ids of its running entities. A
   * type whose region does not answer within {@code timeout} is left out.
   */
  public CompletionStage<Map<String, Map<String, Set<String>>>> localShards(Duration timeout) {
    Map<String, CompletableFuture<Map<String, Set<String>>>> perType = new LinkedHashMap<>();
    for (String type : types) {
      CompletionStage<ShardRegion.CurrentShardRegionState> state =
          AskPattern.ask(
              sharding.shardState(),
              replyTo -> new GetShardRegionState(keys.apply(type), replyTo),
              timeout,
              system.scheduler());
      perType.put(
          type,
          state
              .thenApply(
                  current -> {
                    Map<String, Set<String>> shards = new TreeMap<>();
                    current
                        .getShards()
                        .forEach(shard -> shards.put(shard.shardId(), shard.getEntityIds()));
                    return shards;
                  })
              .exceptionally(failure -> null)
              .toCompletableFuture());
    }
    return allByType(perType);
  }

  /** The ids of the entities of {@code type} running in the shard region at {@code region}. */
  public CompletionStage<Set<String>> runningEntities(
      Address region, String type, Duration timeout) {
    String path = region + "/system/sharding/" + URLEncoder.encode(type, StandardCharsets.UTF_8);
    return Patterns.ask(
            system.classicSystem().actorSelection(path),
            ShardRegion.getShardRegionStateInstance(),
            timeout)
        .thenApply(
            answer -> {
              Set<String> ids = new HashSet<>();
              for (ShardRegion.ShardState shard :
                  ((ShardRegion.CurrentShardRegionState) answer).getShards()) {
                ids.addAll(shard.getEntityIds());
              }
              return ids;
            });
  }

  /** The answers of every type once all are in; a type whose answer is null is left out. */
  private static <T> CompletionStage<Map<String, T>> allByType(
      Map<String, CompletableFuture<T>> perType) {
    return CompletableFuture.allOf(perType.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, T> result = new LinkedHashMap<>();
              perType.forEach(
                  (type, future) -> {
                    if (future.join() != null) {
                      result.put(type, future.join());
                    }
                  });
              return result;
            });
  }

  private static List<ShardPlacement> placements(ShardRegion.ClusterShardingStats stats) {
    List<ShardPlacement> placements = new ArrayList<>();
    stats
        .getRegions()
        .forEach(
            (address, region) -> {
              Map<String, Integer> counts = new TreeMap<>();
              region.getStats().forEach((shard, count) -> counts.put(shard, (Integer) count));
              placements.add(
                  new ShardPlacement(address.toString(), counts, Set.copyOf(region.getFailed())));
            });
    placements.sort(Comparator.comparing(ShardPlacement::node));
    return placements;
  }
}
