package io.starfish.sharding.internal;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops the answers to an earlier incarnation's journal and snapshot writes that reach a restarted
 * entity before its recovery has ended.
 *
 * <p>The journal answers a write once per record, and the event-sourced behaviour fails on the
 * first failed or refused one; the others (a keyed command writes its event and its key) reach the
 * next incarnation, held by the restart backoff and then stashed during its recovery ahead of the
 * commands that came meanwhile. When recovery ends, Pekko takes one message off that stash: the
 * stale answer, which it ignores without taking the next, so the command behind it stays stashed
 * until some other message arrives, and the group commit, waiting for that command to settle, holds
 * every later one back: the entity answered nothing for good (a partition test, 2026-12-02).
 *
 * <p>An incarnation writes nothing before its recovery has ended (the journal's {@code
 * RecoverySuccess}), so every write answer before that is an earlier one's. Replay and snapshot
 * loading answers pass. Created anew with every incarnation (inside supervision).
 */
final class StaleJournalAnswers<M> extends BehaviorInterceptor<M, M> {

  private static final Logger log = LoggerFactory.getLogger(StaleJournalAnswers.class);

  private final String entity;
  private boolean recovered;

  @SuppressWarnings("unchecked")
  StaleJournalAnswers(String entity) {
    // Every message: journal answers are not entity messages.
    super((Class<M>) (Class<?>) Object.class);
    this.entity = entity;
  }

  /** Wraps {@code entity} (one incarnation of {@code name}). */
  static <M> Behavior<M> wrap(String name, Behavior<M> entity) {
    return Behaviors.intercept(() -> new StaleJournalAnswers<M>(name), entity);
  }

  @Override
  public Behavior<M> aroundReceive(
      TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (!recovered) {
      Object any = message;
      if (any instanceof JournalProtocol.RecoverySuccess) {
        recovered = true;
      } else if (isStale(any)) {
        log.debug("{}: dropped an earlier incarnation's journal answer {}", entity, any);
        return Behaviors.same();
      }
    }
    return target.apply(context, message);
  }

  /** A write's answer (journal or snapshot store): replay and snapshot loading answers are not. */
  static boolean isStale(Object message) {
    if (message instanceof JournalProtocol.Response) {
      return !(message instanceof JournalProtocol.ReplayedMessage
          || message instanceof JournalProtocol.RecoverySuccess
          || message instanceof JournalProtocol.ReplayMessagesFailure);
    }
    if (message instanceof SnapshotProtocol.Response) {
      return !(message instanceof SnapshotProtocol.LoadSnapshotResult
          || message instanceof SnapshotProtocol.LoadSnapshotFailed);
    }
    return false;
  }
}
