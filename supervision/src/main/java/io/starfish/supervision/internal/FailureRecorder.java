package io.starfish.supervision.internal;

import io.starfish.supervision.CommandFailedException;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.internal.BehaviorImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between the restart supervisor and the entity, so it sees every exception the entity throws
 * (on any message, including the journal's replies) before the supervisor restarts it. It counts
 * the failure, answers the command that caused it at once (the caller would otherwise wait out its
 * timeout), and quarantines a command that has failed the entity too often in a row.
 */
public final class FailureRecorder<M> extends BehaviorInterceptor<M, M> {

  private static final Logger log = LoggerFactory.getLogger(FailureRecorder.class);

  private final EntityScope<M> scope;
  private final Consumer<Throwable> dependencyFailureListener;
  private final Predicate<Throwable> dependencyFailure;

  @SuppressWarnings("unchecked")
  public FailureRecorder(
      EntityScope<M> scope,
      Consumer<Throwable> dependencyFailureListener,
      Predicate<Throwable> dependencyFailure) {
    // Intercept every message, not only M: journal replies are where persist failures surface.
    super((Class<M>) (Class<?>) Object.class);
    this.scope = scope;
    this.dependencyFailureListener = dependencyFailureListener;
    this.dependencyFailure = dependencyFailure;
  }

  @Override
  public Behavior<M> aroundStart(TypedActorContext<M> context, PreStartTarget<M> target) {
    return observe(null, () -> target.start(context));
  }

  @Override
  public Behavior<M> aroundReceive(
      TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    M command = scope.messageClass().isInstance(message) ? message : null;
    return observe(command, () -> target.apply(context, message));
  }

  @Override
  public Behavior<M> aroundSignal(
      TypedActorContext<M> context, Signal signal, SignalTarget<M> target) {
    return observe(null, () -> target.apply(context, signal));
  }

  /**
   * Runs the entity, records any failure and lets it through to the supervisor. A supervisor inside
   * the entity can turn an exception into a "failed" behaviour instead of throwing it: Pekko's
   * event-sourced behaviour does so with a failed journal write or read (its default
   * onPersistFailure strategy is stop). Thrown again here, that failure also reaches the restart
   * supervisor above, so the entity is restarted with backoff like for any other failure.
   */
  private Behavior<M> observe(M command, Supplier<Behavior<M>> entity) {
    Behavior<M> next;
    try {
      next = entity.get();
    } catch (Exception e) {
      onFailure(command, e);
      throw e;
    }
    if (next instanceof BehaviorImpl.FailedBehavior failed) {
      Throwable cause = failed.cause();
      RuntimeException failure =
          cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
      onFailure(command, failure);
      throw failure;
    }
    return next;
  }

  private void onFailure(M current, Exception failure) {
    // The command that failed: the one the entity named (it may have been stashed and run while
    // handling another message), else the message being handled if it is a command.
    M command =
        CommandFailedException.in(failure)
            .map(CommandFailedException::command)
            .filter(scope.messageClass()::isInstance)
            .map(scope.messageClass()::cast)
            .orElse(current);
    scope.memory().lastFailure = failure;
    scope.statistics().failure(scope.entityType());
    if (dependencyFailure.test(failure)) {
      try {
        dependencyFailureListener.accept(failure);
      } catch (RuntimeException e) {
        log.warn("{}: dependency failure listener threw", scope.entity(), e);
      }
      // Not the entity's fault (e.g. the journal is down): restart with backoff for as long as
      // it takes, never quarantine the command, never give up.
      log.warn("{} failed ({}); restarting it with backoff", scope.entity(), failure.toString());
      log.debug("{} failure", scope.entity(), failure);
      if (command != null) {
        scope.inspector().replyUnavailable(command, "the entity's storage failed; retry shortly");
      }
      return;
    }
    if (scope.memory().countFailureAndCheckLimit(System.nanoTime())) {
      scope.memory().giveUpNow = true;
    }
    Optional<Object> key =
        command == null ? Optional.empty() : scope.inspector().commandKey(command);
    if (key.isEmpty()) {
      log.warn(
          "{} failed ({} in a row); restarting it with backoff",
          scope.entity(),
          scope.memory().failuresInARow(),
          failure);
      if (command != null) {
        scope
            .inspector()
            .replyUnavailable(command, "the entity failed and is being restarted; retry shortly");
      }
      return;
    }
    int inARow = scope.memory().recordFailure(key.get(), System.nanoTime());
    int limit = scope.memory().policy().quarantineAfter();
    if (inARow >= limit) {
      scope.memory().quarantine(key.get(), System.nanoTime());
      scope.statistics().quarantined(scope.entityType());
      log.warn(
          "{}: command {} failed the entity {} times in a row; quarantined for {} (the entity"
              + " keeps serving other commands)",
          scope.entity(),
          scope.inspector().describe(command),
          inARow,
          scope.memory().policy().quarantineFor(),
          failure);
      scope
          .inspector()
          .replyQuarantined(
              command,
              "this command made the entity fail "
                  + inARow
                  + " times in a row; it is refused for "
                  + scope.memory().policy().quarantineFor().toSeconds()
                  + " s");
    } else {
      log.warn(
          "{} failed handling command {} ({} of {} before it is quarantined); restarting it with"
              + " backoff",
          scope.entity(),
          scope.inspector().describe(command),
          inARow,
          limit,
          failure);
      scope
          .inspector()
          .replyUnavailable(
              command,
              scope.memory().giveUpNow
                  ? "the entity failed while handling this command and is stopped after repeated"
                      + " failures; retry shortly"
                  : "the entity failed while handling this command and is being restarted; retry"
                      + " shortly");
    }
  }
}
