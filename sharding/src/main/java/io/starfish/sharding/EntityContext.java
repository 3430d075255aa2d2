package io.starfish.sharding;

import io.starfish.persistence.PersistenceSettings;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * What Starfish hands to the behaviour of one entity instance.
 *
 * @param typeName the entity type, e.g. "account"
 * @param entityId the entity id, e.g. "a-17"
 * @param persistenceId the journal key, "{type}|{id}"
 * @param persistence snapshot policy defaults
 * @param actorContext the entity actor's context
 * @param router how this entity reaches other entities (used by sagas)
 */
public record EntityContext(
    String typeName,
    String entityId,
    PersistenceId persistenceId,
    PersistenceSettings persistence,
    ActorContext<EntityMessage> actorContext,
    EntityRouter router) {}
