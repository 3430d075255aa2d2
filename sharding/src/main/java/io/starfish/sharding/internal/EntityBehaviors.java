package io.starfish.sharding.internal;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityDefinition;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.SagaType;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Builds the behaviour of one entity instance from its public definition: the definitions are
 * descriptions only, so that the public API never reaches into this package.
 */
public final class EntityBehaviors {

  private EntityBehaviors() {}

  /**
   * The behaviour of one instance; Starfish adds sharding and supervision around it.
   *
   * @param groupCommit whether a {@link GroupCommit} will be in front of a plain declared entity
   *     (see {@link #takesGroupCommit})
   */
  public static Behavior<EntityMessage> of(
      EntityDefinition definition, EntityContext context, boolean groupCommit) {
    if (definition instanceof SagaType<?, ?, ?> saga) {
      return saga(saga, context);
    }
    if (definition instanceof EntityType<?, ?, ?> type) {
      return new DeclaredEntity<>(type, context, groupCommit && takesGroupCommit(definition));
    }
    return ((EntityType.Custom) definition).factory().apply(context);
  }

  private static <C, E extends CborSerializable, S extends CborSerializable>
      Behavior<EntityMessage> saga(SagaType<C, E, S> saga, EntityContext context) {
    return new DeclaredEntity<>(saga.entity(), saga, context);
  }

  /** Only plain declared entities write commands in groups; sagas and custom ones one by one. */
  public static boolean takesGroupCommit(EntityDefinition definition) {
    return definition instanceof EntityType<?, ?, ?>;
  }
}
