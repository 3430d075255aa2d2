package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import java.util.Optional;
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

  /**
   * Run one command; {@code command} is a JSON object with a {@code "type"} field.
   *
   * @param idempotencyKey the client's Idempotency-Key, or null. Entities declared with {@link
   *     EntityType} apply a keyed command at most once and answer a retry with the original outcome
   *     ({@link EntityResult.Repeated}); hand-written behaviours receive the key and may do the
   *     same.
   */
  record Execute(JsonNode command, String idempotencyKey, ActorRef<EntityResult> replyTo)
      implements EntityMessage {

    /** A command without an idempotency key. */
    public Execute(JsonNode command, ActorRef<EntityResult> replyTo) {
      this(command, null, replyTo);
    }

    public Optional<String> key() {
      return Optional.ofNullable(idempotencyKey);
    }
  }

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

  /**
   * Starfish-internal: how a step that a saga ({@link SagaType}) sent ended, delivered to the saga
   * itself (never over the network).
   *
   * @param stepKey the step's idempotency key
   * @param result the target's answer; null when the step failed (see {@code failure})
   * @param failure why no answer came (e.g. a timeout); null when there is a result
   */
  record StepEnded(String stepKey, EntityResult result, String failure) implements EntityMessage {}

  /** Starfish-internal: a saga's step is due again after a transient failure. */
  record StepDue(String stepKey) implements EntityMessage {}

  /**
   * An operator's request (admin API) that this entity fail now: it throws, and supervision
   * restarts it with backoff and it recovers from its journal, as after a bug in a command handler.
   * For demonstrations and chaos tests; nothing is persisted.
   */
  record Crash() implements EntityMessage {}
}
