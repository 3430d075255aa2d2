package io.starfish.supervision;

import io.starfish.supervision.internal.EntityGate;
import io.starfish.supervision.internal.EntityScope;
import io.starfish.supervision.internal.FailureMemory;
import io.starfish.supervision.internal.FailureRecorder;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The supervision Starfish puts around every entity (see this module's reference.conf for the
 * policy in words):
 *
 * <pre>
 *   entity gate            refuses commands at once while a dependency is known to be down,
 *                          refuses quarantined commands, gives up after too many failures
 *     restart supervisor   restart with exponential backoff
 *       failure recorder   counts the failure, answers the failing command, quarantines it
 *         entity           recovers its state from the journal on every (re)start
 * </pre>
 *
 * @param <M> the entity's message type
 */
public final class SupervisedEntity<M> {

  private final String entityType;
  private final String entityId;
  private final Class<M> messageClass;
  private final EntityPolicy policy;
  private final CommandInspector<M> inspector;
  private final FailureStatistics statistics;
  private Predicate<Throwable> dependencyFailure = failure -> false;
  private Consumer<Throwable> dependencyFailureListener = failure -> {};
  private Consumer<ActorRef<M>> onGiveUp = self -> {};
  private Supplier<Optional<String>> dependencyDown = Optional::empty;

  private SupervisedEntity(
      String entityType,
      String entityId,
      Class<M> messageClass,
      EntityPolicy policy,
      CommandInspector<M> inspector,
      FailureStatistics statistics) {
    this.entityType = entityType;
    this.entityId = entityId;
    this.messageClass = messageClass;
    this.policy = policy;
    this.inspector = inspector;
    this.statistics = statistics;
  }

  /** Supervision for the entity {@code entityType/entityId}; see {@link #wrap}. */
  public static <M> SupervisedEntity<M> of(
      String entityType,
      String entityId,
      Class<M> messageClass,
      EntityPolicy policy,
      CommandInspector<M> inspector,
      FailureStatistics statistics) {
    return new SupervisedEntity<>(
        entityType, entityId, messageClass, policy, inspector, statistics);
  }

  /**
   * Tells failures of a dependency (e.g. the journal is unreachable) from the entity's own: they
   * restart the entity with backoff for as long as it takes, and never quarantine a command or
   * count towards giving up. {@code listener} hears of each (e.g. to count it, or to open a
   * circuit). Default: none.
   */
  public SupervisedEntity<M> dependencyFailures(
      Predicate<Throwable> isDependencyFailure, Consumer<Throwable> listener) {
    this.dependencyFailure = isDependencyFailure;
    this.dependencyFailureListener = listener;
    return this;
  }

  /**
   * While {@code down} names a reason (e.g. the node's journal circuit is open), commands are
   * answered "unavailable" with that reason without reaching the entity; queries still reach it.
   * Read on every command, so it should be cheap. Default: never down.
   */
  public SupervisedEntity<M> refuseCommandsWhile(Supplier<Optional<String>> down) {
    this.dependencyDown = down;
    return this;
  }

  /**
   * Called with the entity's actor when supervision gives up on it (e.g. to passivate it); the
   * actor then answers every request with "unavailable" until it is stopped. Default: nothing.
   */
  public SupervisedEntity<M> onGiveUp(Consumer<ActorRef<M>> handler) {
    this.onGiveUp = handler;
    return this;
  }

  /**
   * One restart strategy per policy, shared by the entities that have it: built per entity, it was
   * five objects (about 150 bytes) in every entity's supervisor.
   */
  private static final ConcurrentHashMap<EntityPolicy, SupervisorStrategy> RESTART_STRATEGIES =
      new ConcurrentHashMap<>();

  private static SupervisorStrategy restart(EntityPolicy policy) {
    BackoffSettings backoff = policy.backoff();
    return SupervisorStrategy.restartWithBackoff(
            backoff.minBackoff(), backoff.maxBackoff(), backoff.randomFactor())
        .withResetBackoffAfter(policy.resetAfter())
        // Giving up (max-restarts) is decided by the recorder, which can tell the entity's
        // own failures from its journal's. The failure recorder logs every failure with the
        // entity id and the command.
        .withLoggingEnabled(false);
  }

  /** Wraps the entity's behaviour, which is created anew on every restart. */
  public Behavior<M> wrap(Behavior<M> entity) {
    SupervisorStrategy strategy =
        RESTART_STRATEGIES.computeIfAbsent(policy, SupervisedEntity::restart);
    return Behaviors.setup(
        context -> {
          // Created once per actor, outside the supervisor: it survives the entity's restarts.
          FailureMemory memory = new FailureMemory(policy);
          EntityScope<M> scope =
              new EntityScope<>(entityType, entityId, messageClass, memory, inspector, statistics);
          Behavior<M> recorded =
              Behaviors.intercept(
                  () -> new FailureRecorder<>(scope, dependencyFailureListener, dependencyFailure),
                  entity);
          Behavior<M> supervised =
              Behaviors.supervise(recorded).onFailure(Exception.class, strategy);
          return Behaviors.intercept(
              () -> new EntityGate<>(scope, onGiveUp, dependencyDown), supervised);
        });
  }
}
