package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.Outcome;
import io.starfish.sharding.SagaSettings;
import io.starfish.sharding.SagaStep;
import io.starfish.sharding.SagaType;
import io.starfish.sharding.ShardingSettings;
import io.starfish.sharding.StepResult;
import io.starfish.sharding.internal.ControlMessages.StepDue;
import io.starfish.sharding.internal.ControlMessages.StepEnded;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Runs one saga's steps: sends the next step (with its idempotency key) to its target, turns the
 * answer into a definite {@link StepResult} or sends the step again after a backoff, and asks the
 * saga's step handler for the events of a definite result, which the saga entity persists. Its
 * state (the step in flight and its failures) lives only in this incarnation: after a restart the
 * journal says which step is pending and it is sent again, which the target's idempotency record
 * makes harmless. Used from the saga entity's actor only.
 */
final class SagaDriver<C, E extends CborSerializable, S extends CborSerializable> {

  private final SagaType<C, E, S> saga;
  private final EntityContext context;
  private final SagaSettings settings;

  /** The idempotency key of the step sent and not yet resolved, or null. */
  private String stepInFlight;

  /** Whether an answer to {@link #stepInFlight} is awaited (false: a retry is scheduled). */
  private boolean awaitingAnswer;

  /** Transient failures of the step in flight so far. */
  private int stepFailures;

  /** Whether the receive timeout is the shorter one of a finished saga. */
  private boolean finishedTimeoutSet;

  SagaDriver(SagaType<C, E, S> saga, EntityContext context) {
    this.saga = saga;
    this.context = context;
    this.settings = SagaSettings.create(context.actorContext().getSystem());
  }

  /** Sends the saga's next step, if it has one and none is in flight. */
  void drive(S state) {
    if (stepInFlight != null) {
      return;
    }
    Optional<SagaStep> next = saga.nextStep().next(context.entityId(), state);
    if (next.isEmpty()) {
      stepFailures = 0;
      passivateSoonIfFinished(true);
      return;
    }
    passivateSoonIfFinished(false);
    send(next.get());
  }

  /** A retry's backoff has passed: the step is sent again, if it is still the one pending. */
  void onStepDue(S state, StepDue due) {
    if (due.stepKey().equals(stepInFlight) && !awaitingAnswer) {
      stepInFlight = null;
      drive(state);
    }
  }

  /**
   * A step's answer (or its absence) came: returns the events to persist for a definite result, or
   * empty when there is nothing to persist (a stale answer, or a retry was scheduled).
   */
  Optional<List<E>> onStepEnded(S state, StepEnded ended) {
    if (!ended.stepKey().equals(stepInFlight)) {
      return Optional.empty(); // an answer to a step already resolved
    }
    Optional<SagaStep> current = saga.nextStep().next(context.entityId(), state);
    if (current.isEmpty() || !current.get().idempotencyKey().equals(ended.stepKey())) {
      stepInFlight = null;
      drive(state);
      return Optional.empty();
    }
    SagaStep step = current.get();
    Optional<StepResult> definite = definite(step, ended);
    if (definite.isEmpty()) {
      retryLater(step, ended);
      return Optional.empty();
    }
    Outcome<E> outcome = saga.stepHandler().handle(state, step, definite.get());
    if (!(outcome instanceof Outcome.Persist<E> persist) || persist.events().isEmpty()) {
      throw new IllegalStateException(
          "the step handler of saga "
              + saga.name()
              + " must persist at least one event for the result of step "
              + step.idempotencyKey()
              + ", returned "
              + outcome);
    }
    return Optional.of(persist.events());
  }

  /** The events of a step's result are persisted: the next step can go. */
  void stepPersisted(S state) {
    stepInFlight = null;
    stepFailures = 0;
    drive(state);
  }

  private void send(SagaStep step) {
    stepInFlight = step.idempotencyKey();
    awaitingAnswer = true;
    JsonNode command = CommandCodec.encode(step.command());
    ActorContext<EntityMessage> actor = context.actorContext();
    actor
        .getLog()
        .debug(
            "{} sends step {} to {}/{}",
            context.persistenceId().id(),
            step.idempotencyKey(),
            step.entityType(),
            step.entityId());
    CompletionStage<EntityResult> answer;
    try {
      RecipientRef<EntityMessage> target =
          context.router().entity(step.entityType(), step.entityId());
      answer =
          AskPattern.ask(
              target,
              replyTo -> new Execute(command, step.idempotencyKey(), replyTo),
              settings.stepTimeout(),
              actor.getSystem().scheduler());
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    actor.pipeToSelf(
        answer,
        (result, failure) ->
            new StepEnded(
                step.idempotencyKey(), result, failure == null ? null : failure.toString()));
  }

  private void retryLater(SagaStep step, StepEnded ended) {
    awaitingAnswer = false;
    stepFailures++;
    Duration wait = settings.backoff(stepFailures);
    String why = ended.failure() != null ? ended.failure() : String.valueOf(ended.result());
    if (stepFailures == 1 || stepFailures % 10 == 0) {
      context
          .actorContext()
          .getLog()
          .info(
              "{}: step {} to {}/{} did not complete ({}, attempt {}); sending it again in {} ms",
              context.persistenceId().id(),
              step.idempotencyKey(),
              step.entityType(),
              step.entityId(),
              why,
              stepFailures,
              wait.toMillis());
    }
    context
        .actorContext()
        .scheduleOnce(wait, context.actorContext().getSelf(), new StepDue(step.idempotencyKey()));
  }

  /**
   * The definite result of a step's answer, or empty when the step must be sent again (no answer,
   * target unavailable or quarantined). Answers that mean the saga itself is wrong (an invalid
   * command, a key used for another command) count as rejections, so that the saga compensates
   * instead of retrying forever; they are logged as errors.
   */
  private Optional<StepResult> definite(SagaStep step, StepEnded ended) {
    EntityResult result = ended.result();
    if (result instanceof EntityResult.Accepted accepted) {
      return Optional.of(new StepResult.Accepted(accepted.state(), accepted.reply()));
    }
    if (result instanceof EntityResult.Repeated repeated) {
      return Optional.of(
          repeated.rejection() == null
              ? new StepResult.Accepted(repeated.state(), repeated.reply())
              : new StepResult.Rejected(repeated.rejection()));
    }
    if (result instanceof EntityResult.Rejected rejected) {
      return Optional.of(new StepResult.Rejected(rejected.reason()));
    }
    if (result instanceof EntityResult.Invalid || result instanceof EntityResult.KeyReused) {
      context
          .actorContext()
          .getLog()
          .error(
              "{}: step {} to {}/{} was refused as a faulty command ({}); the saga treats it as"
                  + " rejected",
              context.persistenceId().id(),
              step.idempotencyKey(),
              step.entityType(),
              step.entityId(),
              result);
      return Optional.of(new StepResult.Rejected(String.valueOf(result)));
    }
    return Optional.empty(); // no answer, Unavailable, Quarantined: transient
  }

  /**
   * A saga with no step left is passivated after starfish.sharding.saga.passivate-finished-after
   * (through the same Idle message the sharding guard turns into Passivate), so that
   * remember-entities forgets it instead of recovering every finished saga on each rebalance. A
   * saga that has a step again (a start command after a refused one) goes back to the ordinary idle
   * passivation.
   */
  private void passivateSoonIfFinished(boolean finished) {
    Optional<Duration> after = settings.passivateFinishedAfter();
    if (after.isEmpty() || finished == finishedTimeoutSet) {
      return;
    }
    ActorContext<EntityMessage> actor = context.actorContext();
    if (finished) {
      actor.setReceiveTimeout(after.get(), ControlMessages.Idle.INSTANCE);
    } else {
      ShardingSettings.create(actor.getSystem())
          .passivateIdleAfter()
          .ifPresentOrElse(
              idle -> actor.setReceiveTimeout(idle, ControlMessages.Idle.INSTANCE),
              actor::cancelReceiveTimeout);
    }
    finishedTimeoutSet = finished;
  }
}
