package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;

/** An entity's answer to an {@link EntityMessage}. State and replies are already JSON. */
public sealed interface EntityResult extends CborSerializable {

  /**
   * The command was applied (its events, if any, are persisted).
   *
   * @param version number of events the entity has applied, after this command
   * @param state the state after this command
   * @param reply the command's reply
   */
  record Accepted(long version, JsonNode state, JsonNode reply) implements EntityResult {}

  /** The current state, for a {@link EntityMessage.GetState}. */
  record Current(long version, JsonNode state) implements EntityResult {}

  /** A domain rule refused the command (e.g. insufficient funds); nothing was persisted. */
  record Rejected(String reason) implements EntityResult {}

  /** The command is malformed or has an invalid field; nothing was persisted. */
  record Invalid(String reason) implements EntityResult {}

  /**
   * The entity cannot take commands right now (e.g. its node is cut off from the cluster's
   * majority); nothing was persisted and the caller may retry, possibly through another node.
   */
  record Unavailable(String reason) implements EntityResult {}

  /**
   * The command is quarantined: the same command made this entity fail too often in a row (see
   * starfish.supervision.entity.quarantine-after); nothing was persisted and retrying the same
   * command will not help until the quarantine ends.
   */
  record Quarantined(String reason) implements EntityResult {}

  /**
   * The answer to a retry: a command with this idempotency key was already handled by this entity,
   * and this is its original outcome; nothing was applied again.
   *
   * @param version the entity's version right after the original command
   * @param state the entity's state right after the original command
   * @param reply the original reply; null when the original command was rejected
   * @param rejection why the original command was rejected; null when it was accepted
   */
  record Repeated(long version, JsonNode state, JsonNode reply, String rejection)
      implements EntityResult {
    public Repeated {
      // Jackson reads an absent JsonNode as NullNode; keep "no reply" as null.
      reply = reply == null || reply.isNull() ? null : reply;
    }
  }

  /**
   * The idempotency key was already used for a different command on this entity; nothing was
   * applied. A client bug: keys must be unique per intended operation.
   */
  record KeyReused(String reason) implements EntityResult {}

  /**
   * The answer to {@link EntityMessage.Delete}: the entity is deleted (its final marker is
   * persisted); its events and older snapshots are being removed.
   *
   * @param version the number of events the entity had applied when it was deleted
   */
  record Deleted(long version) implements EntityResult {}

  /**
   * The entity was deleted; nothing was applied.
   *
   * @param version the number of events the entity had applied when it was deleted
   */
  record Gone(long version) implements EntityResult {}
}
