package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What Starfish sends to an entity. Every registered entity type, declared or hand-written,
 * receives these messages and answers each with one {@link EntityResult}.
 *
 * <p>Commands travel as JSON (the HTTP body, already checked against the entity type's commands by
 * the node that received it), so any node can forward any command without knowing its Java type,
 * and the entity decodes it where it runs.
 */
public sealed interface EntityMessage extends CborSerializable {

  /** Run one command; {@code command} is a JSON object with a {@code "type"} field. */
  record Execute(JsonNode command, ActorRef<EntityResult> replyTo) implements EntityMessage {}

  /** Read the current state without changing it. */
  record GetState(ActorRef<EntityResult> replyTo) implements EntityMessage {}

  /**
   * Starfish-internal: the receive timeout of an entity that has been idle for {@code
   * starfish.sharding.passivate-idle-after}. Starfish intercepts it and passivates the entity; it
   * is never delivered to an entity's own behaviour.
   */
  enum Idle implements EntityMessage {
    INSTANCE
  }
}
