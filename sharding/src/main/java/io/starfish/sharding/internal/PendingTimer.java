package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import java.util.Objects;

/**
 * A durable timer of an entity that has not fired yet: part of its state (and snapshots).
 *
 * @param timerId the developer's id
 * @param seq unique per entity and schedule, so that a replaced or re-used id is told apart
 * @param dueAtMillis when it is due
 * @param command the command to deliver, as the JSON a client would send
 */
public record PendingTimer(String timerId, long seq, long dueAtMillis, JsonNode command)
    implements CborSerializable {

  public PendingTimer {
    Objects.requireNonNull(timerId, "timerId");
    Objects.requireNonNull(command, "command");
  }
}
