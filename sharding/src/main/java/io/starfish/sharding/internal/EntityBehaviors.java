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

  /** The behaviour of one instance; Starfish adds sharding and supervision around it. */
  public static Behavior<EntityMessage> of(EntityDefinition definition, EntityContext context) {
    if (definition instanceof SagaType<?, ?, ?> saga) {
      return saga(saga, context);
    }
    if (definition instanceof EntityType<?, ?, ?> type) {
      return new DeclaredEntity<>(type, context);
    }
    return ((EntityType.Custom) definition).factory().apply(context);
  }

  private static <C, E extends CborSerializable, S extends CborSerializable>
      Behavior<EntityMessage> saga(SagaType<C, E, S> saga, EntityContext context) {
    return new DeclaredEntity<>(saga.entity(), saga, context);
  }
}
