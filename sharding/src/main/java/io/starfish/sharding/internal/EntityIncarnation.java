package io.starfish.sharding.internal;

import io.starfish.observability.EntityTelemetry;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one incarnation of an entity does with each message before the entity sees it, inside
 * supervision and created anew with every restart. One interceptor rather than one per job: each
 * Pekko interceptor is a wrapper object per entity and a call per message (docs/benchmarks.md,
 * section 12).
 *
 * <ol>
 *   <li><b>Stale journal answers</b> to an earlier incarnation's writes, arriving before this one's
 *       recovery has ended, are dropped (below).
 *   <li><b>Group commit</b> for declared entities ({@link GroupCommit}): commands that arrive while
 *       a write is in flight wait and go to the entity together.
 *   <li><b>Crash requests</b> ({@link ControlMessages.Crash}) become a failure of the entity: the
 *       same path as a command handler that throws (restart with backoff, recovery from the
 *       journal), for every entity type, declared or hand-written. Inside the group commit, which
 *       sees the failure and answers the commands still waiting.
 * </ol>
 *
 * <p>Stale answers: the journal answers a write once per record, and the event-sourced behaviour
 * fails on the first failed or refused one; the others (a keyed command writes its event and its
 * key) reach the next incarnation, held by the restart backoff and then stashed during its recovery
 * ahead of the commands that came meanwhile. When recovery ends, Pekko takes one message off that
 * stash: the stale answer, which it ignores without taking the next, so the command behind it stays
 * stashed until some other message arrives, and the group commit, waiting for that command to
 * settle, holds every later one back: the entity answered nothing for good (a partition test,
 * 2026-12-02). An incarnation writes nothing before its recovery has ended (the journal's {@code
 * RecoverySuccess}), so every write answer before that is an earlier one's. Replay and snapshot
 * loading answers pass.
 */
final class EntityIncarnation<M> extends BehaviorInterceptor<M, M>
    implements GroupCommit.Deliver<M> {

  private static final Logger log = LoggerFactory.getLogger(EntityIncarnation.class);

  /** The failure an operator asked for. */
  public static final class CrashRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CrashRequested(String entity) {
      super("crash of " + entity + " requested through the admin API");
    }
  }

  private final String type;
  private final String id;

  /** Null for entities without group commit (sagas, hand-written behaviours, or switched off). */
  private final GroupCommit<M> groupCommit;

  private boolean recovered;

  /**
   * @param groupCommitMaxBatch the most commands in one batch; 0: no group commit
   * @param groupCommitMaxWaiting the most commands kept waiting (group commit only)
   */
  @SuppressWarnings("unchecked")
  EntityIncarnation(String type, String id, int groupCommitMaxBatch, int groupCommitMaxWaiting) {
    // Every message, not only entity messages: journal answers are where stale answers and write
    // failures show. (M is the entity's message type; erased, so that those pass through.)
    super((Class<M>) (Class<?>) Object.class);
    this.type = type;
    this.id = id;
    this.groupCommit =
        groupCommitMaxBatch > 0
            ? new GroupCommit<>(groupCommitMaxBatch, groupCommitMaxWaiting, this)
            : null;
  }

  /** Wraps one incarnation of {@code entity}; group commit when {@code groupCommitMaxBatch > 0}. */
  static <M> Behavior<M> wrap(
      String type,
      String id,
      int groupCommitMaxBatch,
      int groupCommitMaxWaiting,
      Behavior<M> entity) {
    return Behaviors.intercept(
        () -> new EntityIncarnation<M>(type, id, groupCommitMaxBatch, groupCommitMaxWaiting),
        entity);
  }

  @Override
  public Behavior<M> aroundReceive(
      TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (!recovered) {
      Object any = message;
      if (any instanceof JournalProtocol.RecoverySuccess) {
        recovered = true;
      } else if (isStale(any)) {
        log.debug("{}/{}: dropped an earlier incarnation's journal answer {}", type, id, any);
        return Behaviors.same();
      }
    }
    return groupCommit != null
        ? groupCommit.receive(context, message, target)
        : deliver(context, message, target);
  }

  /** The message to the entity, or the failure a crash request asks for. */
  @Override
  public Behavior<M> deliver(TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (message instanceof ControlMessages.Crash) {
      EntityTelemetry.get(context.asJava().getSystem()).crashRequested(type);
      throw new CrashRequested(type + "/" + id);
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
