package io.starfish.supervision.internal;

import io.starfish.supervision.CommandInspector;
import io.starfish.supervision.FailureStatistics;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits outside the restart supervisor, so it lives as long as the entity's actor: refuses
 * quarantined commands before they reach the entity, and when the supervisor gives up (too many
 * restarts in a row) hands the entity to {@code onGiveUp} and answers every request with
 * "unavailable" until the actor is stopped.
 */
public final class QuarantineGate<M> extends BehaviorInterceptor<M, M> {

  private static final Logger log = LoggerFactory.getLogger(QuarantineGate.class);

  private final String entity;
  private final String entityType;
  private final Class<M> messageClass;
  private final FailureMemory memory;
  private final CommandInspector<M> inspector;
  private final FailureStatistics statistics;
  private final Consumer<ActorRef<M>> onGiveUp;

  @SuppressWarnings("unchecked")
  public QuarantineGate(
      String entityType,
      String entityId,
      Class<M> messageClass,
      FailureMemory memory,
      CommandInspector<M> inspector,
      FailureStatistics statistics,
      Consumer<ActorRef<M>> onGiveUp) {
    super((Class<M>) (Class<?>) Object.class);
    this.entity = entityType + "/" + entityId;
    this.entityType = entityType;
    this.messageClass = messageClass;
    this.memory = memory;
    this.inspector = inspector;
    this.statistics = statistics;
    this.onGiveUp = onGiveUp;
  }

  @Override
  public Behavior<M> aroundReceive(
      TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (messageClass.isInstance(message)) {
      Optional<Object> key = inspector.commandKey(message);
      if (key.isPresent() && memory.isQuarantined(key.get(), System.nanoTime())) {
        statistics.quarantined(entityType);
        log.debug("{}: refused quarantined command {}", entity, inspector.describe(message));
        inspector.replyQuarantined(
            message,
            "this command made the entity fail "
                + memory.policy().quarantineAfter()
                + " times in a row and is quarantined; it is refused until the quarantine ends");
        return Behaviors.same();
      }
    }
    Behavior<M> next = target.apply(context, message);
    if (memory.giveUpNow) {
      return giveUp(context);
    }
    return next;
  }

  @Override
  public Behavior<M> aroundSignal(
      TypedActorContext<M> context, Signal signal, SignalTarget<M> target) {
    Behavior<M> next = target.apply(context, signal);
    if (memory.giveUpNow) {
      return giveUp(context);
    }
    return next;
  }

  private Behavior<M> giveUp(TypedActorContext<M> context) {
    memory.giveUpNow = false;
    statistics.givenUp(entityType);
    log.error(
        "{} failed {} times in a row without running {} in between; giving up on it: it is"
            + " stopped and starts again, from its journal, with the next request",
        entity,
        memory.failuresInARow(),
        memory.policy().resetAfter(),
        memory.lastFailure);
    onGiveUp.accept(context.asJava().getSelf());
    return Behaviors.receive(messageClass)
        .onMessage(
            messageClass,
            message -> {
              inspector.replyUnavailable(
                  message, "the entity stopped after repeated failures; retry shortly");
              return Behaviors.same();
            })
        .build();
  }
}
