package io.starfish.observability;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Reads which shards and entities this node hosts right now: entity type to shard id to the ids of
 * the entities running in it. Sharding supplies it; the healing timeline polls it to see the shards
 * of a failed member arrive, and to feed the shard and entity gauges.
 */
@FunctionalInterface
public interface LocalShards {

  /**
   * This node's shards, answered within about {@code timeout}; a type that did not answer is
   * absent.
   */
  CompletionStage<Map<String, Map<String, Set<String>>>> read(Duration timeout);
}
