package io.starfish.sharding.internal;

import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityResult;
import io.starfish.supervision.CommandFailedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor.ReceiveTarget;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.internal.BehaviorImpl;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Group commit for a declared entity (one part of its {@link EntityIncarnation}). Pekko's
 * event-sourced behaviour writes one command at a time and stashes the rest until that write is
 * done, so an entity's write rate is one journal round trip per command. Here, the first command
 * goes straight through; the commands that arrive while it is being handled wait here, and when the
 * entity says it has settled ({@link ControlMessages.Settled}: answered, its write durable) they go
 * to it together ({@link ControlMessages.ExecuteBatch}, up to {@code maxBatch}). The entity decides
 * them one after another on the state each leaves and writes all their events in one atomic write;
 * each caller is answered once that write is durable. An entity that gets one command at a time
 * runs exactly as without it.
 *
 * <p>When the entity fails (a command handler throws, a write fails, a crash request), the waiting
 * commands, which it never saw, are answered "unavailable" at once; so are the ones it was
 * handling, except the one the failure names (supervision answers that one): their write may or may
 * not have happened, which a retry with the same idempotency key resolves.
 */
final class GroupCommit<M> {

  /** How a message goes on to the entity (through what else the incarnation does with it). */
  interface Deliver<M> {
    Behavior<M> deliver(TypedActorContext<M> context, M message, ReceiveTarget<M> target);
  }

  private final int maxBatch;
  private final int maxWaiting;
  private final Deliver<M> deliver;
  private final ArrayDeque<Execute> waiting = new ArrayDeque<>();

  /** The commands handed to the entity and not yet settled; empty when it is free. */
  private List<Execute> handling = List.of();

  private boolean busy;

  /**
   * @param maxBatch the most commands handed over in one batch
   * @param maxWaiting the most commands kept waiting; more are answered "unavailable" (overload)
   * @param deliver how a message goes on to the entity
   */
  GroupCommit(int maxBatch, int maxWaiting, Deliver<M> deliver) {
    if (maxBatch < 2) {
      throw new IllegalArgumentException("a group commit batch holds at least 2, was " + maxBatch);
    }
    this.maxBatch = maxBatch;
    this.maxWaiting = maxWaiting;
    this.deliver = deliver;
  }

  /**
   * Every message the incarnation receives, not only entity messages: journal replies are where
   * write failures surface.
   */
  Behavior<M> receive(TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (message == ControlMessages.Settled.INSTANCE) {
      return handOver(context, target);
    }
    if (message instanceof Execute execute) {
      if (busy) {
        if (waiting.size() >= maxWaiting) {
          execute
              .replyTo()
              .tell(
                  new EntityResult.Unavailable(
                      "this entity has "
                          + maxWaiting
                          + " commands waiting for its journal; retry later"));
        } else {
          waiting.addLast(execute);
        }
        return Behaviors.same();
      }
      busy = true;
      handling = List.of(execute);
      return observe(() -> deliver.deliver(context, message, target));
    }
    return observe(() -> deliver.deliver(context, message, target));
  }

  /** The entity settled: the next waiting commands go to it, as one batch if more than one. */
  @SuppressWarnings("unchecked") // M is EntityMessage
  private Behavior<M> handOver(TypedActorContext<M> context, ReceiveTarget<M> target) {
    if (waiting.isEmpty()) {
      busy = false;
      handling = List.of();
      return Behaviors.same();
    }
    List<Execute> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
    while (!waiting.isEmpty() && batch.size() < maxBatch) {
      batch.add(waiting.pollFirst());
    }
    handling = List.copyOf(batch);
    Object next = batch.size() == 1 ? batch.get(0) : new ControlMessages.ExecuteBatch(batch);
    return observe(() -> deliver.deliver(context, (M) next, target));
  }

  /** Runs the entity; if it fails, answers the commands it will not answer, then fails too. */
  private Behavior<M> observe(Supplier<Behavior<M>> entity) {
    Behavior<M> next;
    try {
      next = entity.get();
    } catch (RuntimeException e) {
      answerAllOnFailure(e);
      throw e;
    }
    Object outcome = next; // the failed behaviour is typed Behavior<Nothing>
    if (outcome instanceof BehaviorImpl.FailedBehavior failed) {
      answerAllOnFailure(failed.cause());
    }
    return next;
  }

  private void answerAllOnFailure(Throwable failure) {
    Optional<Object> named =
        CommandFailedException.in(failure).map(CommandFailedException::command);
    for (Execute execute : handling) {
      if (named.isEmpty() || named.get() != execute) {
        execute
            .replyTo()
            .tell(
                new EntityResult.Unavailable(
                    "the entity failed while writing this command ("
                        + failure
                        + "); it may or may not have been applied: retry with the same"
                        + " Idempotency-Key"));
      }
    }
    for (Execute execute : waiting) {
      execute
          .replyTo()
          .tell(
              new EntityResult.Unavailable(
                  "the entity failed before it could run this command; nothing was applied,"
                      + " retry shortly"));
    }
    waiting.clear();
    handling = List.of();
    busy = false;
  }
}
