package io.starfish.sharding;

import org.apache.pekko.actor.typed.RecipientRef;

/**
 * How an entity reaches other entities by type and id, wherever in the cluster they live. Sagas
 * ({@link SagaType}) send their steps through it; Starfish routes through Cluster Sharding, tests
 * may route to probes.
 */
@FunctionalInterface
public interface EntityRouter {

  /** The entity {@code type}/{@code id}. */
  RecipientRef<EntityMessage> entity(String type, String id);
}
