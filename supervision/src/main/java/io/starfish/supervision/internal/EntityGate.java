package io.starfish.supervision.internal;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits outside the restart supervisor, so it lives as long as the entity's actor. In this order:
 *
 * <ol>
 *   <li><b>Dependency down</b>: while a dependency the entity cannot work without is known to be
 *       down (e.g. the node's journal circuit is open), commands are answered "unavailable" at once
 *       instead of waiting in a restarting or recovering entity for the caller's timeout. Queries
 *       pass through.
 *   <li><b>Quarantine</b>: quarantined commands are refused before they reach the entity.
 *   <li><b>Giving up</b>: when the supervisor gives up (too many restarts in a row), the entity is
 *       handed to {@code onGiveUp} and every request is answered "unavailable" until the actor is
 *       stopped.
 * </ol>
 *
 * <p>One interceptor for the three: each Pekko interceptor is a wrapper object per entity and a
 * call per message.
 */
public final class EntityGate<M> extends BehaviorInterceptor<M, M> {

  private static final Logger log = LoggerFactory.getLogger(EntityGate.class);

  private final EntityScope<M> scope;
  private final Consumer<ActorRef<M>> onGiveUp;
  private final Supplier<Optional<String>> dependencyDown;

  @SuppressWarnings("unchecked")
  public EntityGate(
      EntityScope<M> scope,
      Consumer<ActorRef<M>> onGiveUp,
      Supplier<Optional<String>> dependencyDown) {
    super((Class<M>) (Class<?>) Object.class);
    this.scope = scope;
    this.onGiveUp = onGiveUp;
    this.dependencyDown = dependencyDown;
  }

  @Override
  public Behavior<M> aroundReceive(
      TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (scope.messageClass().isInstance(message)) {
      Optional<Object> key = scope.inspector().commandKey(message);
      if (key.isPresent()) {
        Optional<String> down = dependencyDown.get();
        if (down.isPresent()) {
          scope
              .inspector()
              .replyUnavailable(
                  message, "refused without trying: " + down.get() + "; retry shortly");
          return Behaviors.same();
        }
      }
      if (key.isPresent() && scope.memory().isQuarantined(key.get(), System.nanoTime())) {
        scope.statistics().quarantined(scope.entityType());
        log.debug(
            "{}: refused quarantined command {}",
            scope.entity(),
            scope.inspector().describe(message));
        scope
            .inspector()
            .replyQuarantined(
                message,
                "this command made the entity fail "
                    + scope.memory().policy().quarantineAfter()
                    + " times in a row and is quarantined; it is refused until the quarantine ends");
        return Behaviors.same();
      }
    }
    Behavior<M> next = target.apply(context, message);
    if (scope.memory().giveUpNow) {
      return giveUp(context);
    }
    return next;
  }

  @Override
  public Behavior<M> aroundSignal(
      TypedActorContext<M> context, Signal signal, SignalTarget<M> target) {
    Behavior<M> next = target.apply(context, signal);
    if (scope.memory().giveUpNow) {
      return giveUp(context);
    }
    return next;
  }

  private Behavior<M> giveUp(TypedActorContext<M> context) {
    scope.memory().giveUpNow = false;
    scope.statistics().givenUp(scope.entityType());
    log.error(
        "{} failed {} times in a row without running {} in between; giving up on it: it is"
            + " stopped and starts again, from its journal, with the next request",
        scope.entity(),
        scope.memory().failuresInARow(),
        scope.memory().policy().resetAfter(),
        scope.memory().lastFailure);
    onGiveUp.accept(context.asJava().getSelf());
    return Behaviors.receive(scope.messageClass())
        .onMessage(
            scope.messageClass(),
            message -> {
              scope
                  .inspector()
                  .replyUnavailable(
                      message, "the entity stopped after repeated failures; retry shortly");
              return Behaviors.same();
            })
        .build();
  }
}
