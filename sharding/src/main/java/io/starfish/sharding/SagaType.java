package io.starfish.sharding;

import io.starfish.persistence.CborSerializable;
import java.util.Objects;
import java.util.Optional;

/**
 * An entity that carries a process across other entities: a saga. It is an ordinary {@link
 * EntityType} (commands, events, state, one file) plus two functions:
 *
 * <ul>
 *   <li>{@link NextStep}: given the state, the command to send to another entity now, if any;
 *   <li>{@link StepHandler}: given how that step ended, the events to persist.
 * </ul>
 *
 * <p>Starfish sends the step with its idempotency key, waits for the answer, sends it again with
 * the same key on timeouts and unavailable targets, and hands the saga only a definite {@link
 * StepResult}. The state is persisted before each step is sent and after each step's result, so a
 * saga stopped anywhere (a crash of its node or of the target's, a failover, a full cluster
 * restart) resumes from its journal on a survivor and sends the pending step again; the target's
 * idempotency record makes that repeat a no-op that returns the first outcome. Sagas are remembered
 * entities: Cluster Sharding restarts an interrupted one at once, without waiting for a client.
 *
 * <p>The shipped example is {@code io.starfish.runtime.examples.Transfer}; docs/sagas.md explains
 * the rules (deterministic keys, compensation, what a step handler may do).
 */
public final class SagaType<C, E extends CborSerializable, S extends CborSerializable>
    implements EntityDefinition {

  /** What to do next in state {@code state}: one step, or nothing (finished, or waiting). */
  @FunctionalInterface
  public interface NextStep<S> {
    Optional<SagaStep> next(String sagaId, S state);
  }

  /**
   * Turns the definite result of {@code step} into events. Must persist at least one event that
   * changes what {@link NextStep} returns, or the same step would be sent forever.
   */
  @FunctionalInterface
  public interface StepHandler<S, E> {
    Outcome<E> handle(S state, SagaStep step, StepResult result);
  }

  private final EntityType<C, E, S> entity;
  private final NextStep<S> nextStep;
  private final StepHandler<S, E> stepHandler;

  private SagaType(EntityType<C, E, S> entity, NextStep<S> nextStep, StepHandler<S, E> handler) {
    this.entity = Objects.requireNonNull(entity, "entity");
    this.nextStep = Objects.requireNonNull(nextStep, "nextStep");
    this.stepHandler = Objects.requireNonNull(handler, "stepHandler");
  }

  /**
   * Defines a saga type.
   *
   * @param entity the saga's commands (how clients start it), events and state
   * @param nextStep the step to send in a given state
   * @param stepHandler the events for a step's result
   */
  public static <C, E extends CborSerializable, S extends CborSerializable> SagaType<C, E, S> of(
      EntityType<C, E, S> entity, NextStep<S> nextStep, StepHandler<S, E> stepHandler) {
    return new SagaType<>(entity, nextStep, stepHandler);
  }

  @Override
  public String name() {
    return entity.name();
  }

  @Override
  public CommandCodec commands() {
    return entity.commands();
  }

  public EntityType<C, E, S> entity() {
    return entity;
  }

  public NextStep<S> nextStep() {
    return nextStep;
  }

  public StepHandler<S, E> stepHandler() {
    return stepHandler;
  }

  @Override
  public String toString() {
    return "SagaType[" + entity.name() + ", commands " + entity.commands().names() + "]";
  }
}
