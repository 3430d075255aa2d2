package io.starfish.sharding.internal;

import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;

/**
 * Starfish's own messages to entities, beside the public {@link EntityMessage.Execute} and {@link
 * EntityMessage.GetState}. Interceptors and declared entities handle them; a hand-written behaviour
 * never sees one.
 */
public final class ControlMessages {

  private ControlMessages() {}

  /**
   * The receive timeout of an entity that has been idle for {@code
   * starfish.sharding.passivate-idle-after}: the entity is passivated.
   */
  public enum Idle implements EntityMessage {
    INSTANCE
  }

  /**
   * How a step that a saga sent ended, delivered to the saga itself (never over the network).
   *
   * @param stepKey the step's idempotency key
   * @param result the target's answer; null when the step failed (see {@code failure})
   * @param failure why no answer came (e.g. a timeout); null when there is a result
   */
  public record StepEnded(String stepKey, EntityResult result, String failure)
      implements EntityMessage {}

  /** A saga's step is due again after a transient failure. */
  public record StepDue(String stepKey) implements EntityMessage {}

  /**
   * An operator's request (admin API) that this entity fail now: it throws, and supervision
   * restarts it with backoff and it recovers from its journal, as after a bug in a command handler.
   * For demonstrations and chaos tests; nothing is persisted.
   */
  public record Crash() implements EntityMessage {}
}
