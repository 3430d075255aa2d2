package io.starfish.sharding;

/**
 * An entity type as the registry knows it: its name and the commands it accepts. Starfish builds
 * the behaviour of each instance from it, with sharding and supervision around. Made with {@link
 * EntityType#of} (commands, events and state, the usual way) or {@link EntityType#custom} (a
 * hand-written Pekko behaviour).
 */
public sealed interface EntityDefinition permits EntityType, EntityType.Custom, SagaType {

  /** The type name used in URLs and persistence ids: lower case letters, digits and '-'. */
  String name();

  /** The commands this type accepts, for validating requests before they are routed. */
  CommandCodec commands();
}
