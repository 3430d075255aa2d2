package io.starfish.sharding;

import java.util.Map;
import java.util.Set;

/**
 * Where one entity type's shards live, as the cluster reported it.
 *
 * @param node the cluster address of the node hosting the shards
 * @param entitiesPerShard shard id to the number of entities alive in it
 * @param failedShards shards of that node that did not answer in time
 */
public record ShardPlacement(
    String node, Map<String, Integer> entitiesPerShard, Set<String> failedShards) {

  public int entityCount() {
    return entitiesPerShard.values().stream().mapToInt(Integer::intValue).sum();
  }
}
