package io.starfish.sharding.internal;

import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

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

  /**
   * A durable timer of the entity is due (sent by the timer sweeper, possibly from another node,
   * possibly more than once): the entity applies its command if that timer is still pending, and
   * answers {@link EntityResult.Current} without writing anything if it is not.
   */
  public record TimerDue(String timerId, long seq, ActorRef<EntityResult> replyTo)
      implements EntityMessage {}

  /** A saga's step is due again after a transient failure. */
  public record StepDue(String stepKey) implements EntityMessage {}

  /**
   * An operator's request (admin API) that this entity fail now: it throws, and supervision
   * restarts it with backoff and it recovers from its journal, as after a bug in a command handler.
   * For demonstrations and chaos tests; nothing is persisted.
   */
  public record Crash() implements EntityMessage {}

  /**
   * Commands that reached a declared entity while its journal write was in flight, handed to it
   * together by {@link GroupCommit} once that write completed: decided one after another, written
   * in one atomic write. Delivered within the actor only, never over the network.
   */
  public record ExecuteBatch(List<EntityMessage.Execute> commands) implements EntityMessage {
    public ExecuteBatch {
      commands = List.copyOf(commands);
    }
  }

  /**
   * From a declared entity to itself: the command or batch it was given has been answered (its
   * write, if any, is durable), so {@link GroupCommit} may hand it the next ones.
   */
  public enum Settled implements EntityMessage {
    INSTANCE
  }
}
