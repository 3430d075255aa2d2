package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import java.util.Objects;

/**
 * Journal event: a command sent with an idempotency key was handled, with this outcome. Persisted
 * in the same atomic write as the command's own events, so either both are in the journal or
 * neither is. It is not a domain event: it does not count towards the entity's version and the
 * developer's event handler never sees it.
 *
 * @param key the client's Idempotency-Key
 * @param fingerprint SHA-256 of the command's canonical JSON; a retry must carry the same command
 * @param recordedAtMillis when the command was handled (epoch milliseconds), for retention
 * @param version the entity's version after the command
 * @param state the entity's state after the command, as JSON
 * @param reply the command's reply, as JSON; null when it was rejected
 * @param rejection the reason the command was rejected; null when it was accepted
 */
public record KeyRecorded(
    String key,
    String fingerprint,
    long recordedAtMillis,
    long version,
    JsonNode state,
    JsonNode reply,
    String rejection)
    implements CborSerializable {

  public KeyRecorded {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    // Jackson reads an absent JsonNode as NullNode; keep "no reply" as null.
    reply = reply == null || reply.isNull() ? null : reply;
  }

  boolean rejected() {
    return rejection != null;
  }
}
