package io.starfish.sharding;

import java.time.Instant;
import java.util.Objects;

/**
 * What a command handler may know besides its state and the command ({@link
 * ContextualCommandHandler}).
 *
 * @param entityId the id of the entity deciding, e.g. "a-17"
 * @param now the time of the decision, from the node's {@link EntityClock} (which tests can set):
 *     read the time here, never from the system clock, and store it in an event if the state
 *     depends on it (commands are never replayed; events are)
 */
public record CommandContext(String entityId, Instant now) {

  public CommandContext {
    Objects.requireNonNull(entityId, "entityId");
    Objects.requireNonNull(now, "now");
  }
}
