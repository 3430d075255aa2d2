package io.starfish.sharding;

import org.apache.pekko.actor.typed.Behavior;

/**
 * An entity type as the registry knows it: its name, the commands it accepts, and how to create one
 * instance. Made with {@link EntityType#of} (commands, events and state, the usual way) or {@link
 * EntityType#custom} (a hand-written Pekko behaviour).
 */
public sealed interface EntityDefinition permits EntityType, EntityType.Custom, SagaType {

  /** The type name used in URLs and persistence ids: lower case letters, digits and '-'. */
  String name();

  /** The commands this type accepts, for validating requests before they are routed. */
  CommandCodec commands();

  /** The behaviour of one entity instance; Starfish adds sharding and supervision around it. */
  Behavior<EntityMessage> create(EntityContext context);
}
