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
 *
 * <p>A behaviour handles {@link Execute} and {@link GetState}. Starfish's own control messages
 * (idle timeout, crash requests, saga step results) travel as entity messages too, but are
 * intercepted before they reach a behaviour; they are not part of this API.
 */
public interface EntityMessage extends CborSerializable {

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
   * Delete the entity for good: entities declared with {@link EntityType#of} persist a final
   * marker, answer {@link EntityResult.Deleted}, then remove their events and older snapshots from
   * the journal; from then on every message gets {@link EntityResult.Gone}, also after restarts.
   * Sagas and hand-written behaviours do not support it.
   */
  record Delete(ActorRef<EntityResult> replyTo) implements EntityMessage {}
}
