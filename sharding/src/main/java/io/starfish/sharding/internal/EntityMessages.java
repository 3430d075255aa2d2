package io.starfish.sharding.internal;

import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.supervision.CommandInspector;
import java.util.Optional;

/**
 * How supervision sees {@link EntityMessage}s: a command is identified by its JSON (type and
 * fields), so only the very same command is quarantined; queries are never quarantined.
 */
public final class EntityMessages implements CommandInspector<EntityMessage> {

  public static final EntityMessages INSPECTOR = new EntityMessages();

  private EntityMessages() {}

  @Override
  public Optional<Object> commandKey(EntityMessage message) {
    if (message instanceof ControlMessages.TimerDue due) {
      // a timer whose command keeps failing is quarantined like a client's command
      return Optional.of("timer:" + due.timerId() + "#" + due.seq());
    }
    return message instanceof EntityMessage.Execute execute
        ? Optional.of(execute.command())
        : Optional.empty();
  }

  @Override
  public String describe(EntityMessage message) {
    if (message instanceof EntityMessage.Execute execute) {
      return "'" + execute.command().path("type").asText("?") + "'";
    }
    if (message instanceof ControlMessages.TimerDue due) {
      return "timer '" + due.timerId() + "'";
    }
    return message.getClass().getSimpleName();
  }

  @Override
  public void replyUnavailable(EntityMessage message, String reason) {
    if (message instanceof EntityMessage.Execute execute) {
      execute.replyTo().tell(new EntityResult.Unavailable(reason));
    } else if (message instanceof EntityMessage.GetState get) {
      get.replyTo().tell(new EntityResult.Unavailable(reason));
    } else if (message instanceof ControlMessages.TimerDue due) {
      due.replyTo().tell(new EntityResult.Unavailable(reason));
    }
  }

  @Override
  public void replyQuarantined(EntityMessage message, String reason) {
    if (message instanceof EntityMessage.Execute execute) {
      execute.replyTo().tell(new EntityResult.Quarantined(reason));
    } else if (message instanceof ControlMessages.TimerDue due) {
      due.replyTo().tell(new EntityResult.Quarantined(reason));
    } else {
      replyUnavailable(message, reason);
    }
  }

  /**
   * Whether a failure is the journal's rather than the entity's. Pekko wraps failed journal writes
   * in a JournalFailureException ("Failed to persist event ..."), and also any exception during
   * recovery, including the entity's own event handler throwing; so a recovery failure counts as
   * the journal's only if its causes show storage trouble (the Cassandra driver, a timeout, an open
   * circuit breaker, or a PersistenceTestKit failure policy in tests).
   */
  public static boolean isJournalFailure(Throwable failure) {
    boolean wrapped = false;
    boolean duringPersist = false;
    boolean storageCause = false;
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      String name = t.getClass().getName();
      if (name.endsWith(".JournalFailureException")) {
        wrapped = true;
        duringPersist |= String.valueOf(t.getMessage()).startsWith("Failed to persist");
      } else if (name.startsWith("com.datastax.")
          || name.startsWith("org.apache.pekko.persistence.testkit.")
          || name.equals("org.apache.pekko.pattern.CircuitBreakerOpenException")
          || name.equals("org.apache.pekko.pattern.AskTimeoutException")
          || name.endsWith(".RecoveryTimedOut")
          || t instanceof java.util.concurrent.TimeoutException) {
        storageCause = true;
      }
    }
    return wrapped && (duringPersist || storageCause);
  }
}
