package io.starfish.supervision;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** The supervision policies Starfish puts around behaviours. */
public final class Supervision {

  private Supervision() {}

  /**
   * Restarts {@code behavior} with exponential backoff whenever it throws. While it waits to
   * restart, incoming messages are buffered (Pekko's backoff stash) rather than lost.
   */
  public static <T> Behavior<T> restartWithBackoff(Behavior<T> behavior, BackoffSettings backoff) {
    return Behaviors.supervise(behavior)
        .onFailure(
            Exception.class,
            SupervisorStrategy.restartWithBackoff(
                backoff.minBackoff(), backoff.maxBackoff(), backoff.randomFactor()));
  }
}
