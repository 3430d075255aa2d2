package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.observability.EntityTelemetry;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityMessage.GetState;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.sharding.SagaSettings;
import io.starfish.sharding.SagaStep;
import io.starfish.sharding.SagaType;
import io.starfish.sharding.StepResult;
import io.starfish.sharding.internal.ControlMessages.StepDue;
import io.starfish.sharding.internal.ControlMessages.StepEnded;
import io.starfish.supervision.CommandFailedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The event-sourced behaviour Starfish generates for an {@link EntityType}: it decodes the JSON
 * command, asks the developer's command handler, persists the events, applies them with the
 * developer's event handler and replies with the new state as JSON.
 *
 * <p>Idempotency keys: a command with a key is handled once. Its outcome is recorded as a {@link
 * KeyRecorded} event in the same atomic write as its events (or alone, for a rejection), so a retry
 * that reaches this entity later, on this node or, after a crash, on another one, finds the record
 * and gets the original outcome ({@link EntityResult.Repeated}).
 */
public final class DeclaredEntity<C, E extends CborSerializable, S extends CborSerializable>
    extends EventSourcedBehaviorWithEnforcedReplies<
        EntityMessage, CborSerializable, EntityState<S>> {

  private final EntityType<C, E, S> type;
  private final EntityContext context;

  /** The saga this entity is, or null for a plain entity. */
  private final SagaType<C, E, S> saga;

  private SagaSettings sagaSettings;

  /** The idempotency key of the step sent and not yet resolved, or null. */
  private String stepInFlight;

  /** Whether an answer to {@link #stepInFlight} is awaited (false: a retry is scheduled). */
  private boolean awaitingAnswer;

  /** Transient failures of the step in flight so far. */
  private int stepFailures;

  private final EntityTelemetry telemetry;

  /** When this incarnation started (its recovery began), as System.nanoTime(). */
  private final long startedNanos;

  public DeclaredEntity(EntityType<C, E, S> type, EntityContext context) {
    this(type, null, context);
  }

  public DeclaredEntity(EntityType<C, E, S> type, SagaType<C, E, S> saga, EntityContext context) {
    super(context.persistenceId());
    this.type = type;
    this.saga = saga;
    this.context = context;
    this.telemetry = EntityTelemetry.get(context.actorContext().getSystem());
    this.startedNanos = System.nanoTime();
  }

  @Override
  public EntityState<S> emptyState() {
    return EntityState.of(type.initialState());
  }

  @Override
  public CommandHandlerWithReply<EntityMessage, CborSerializable, EntityState<S>> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Execute.class, this::onExecute)
        .onCommand(StepEnded.class, this::onStepEnded)
        .onCommand(
            StepDue.class,
            (state, due) -> {
              if (due.stepKey().equals(stepInFlight) && !awaitingAnswer) {
                stepInFlight = null;
                drive(state);
              }
              return Effect().noReply();
            })
        // Under sharding the guard (EntityGuard) turns Idle into Passivate before it gets here;
        // an entity run without it (unit tests) has no one to passivate it and ignores it.
        .onCommand(ControlMessages.Idle.class, (state, idle) -> Effect().noReply())
        .onCommand(
            GetState.class,
            (state, get) ->
                Effect()
                    .reply(
                        get.replyTo(),
                        new EntityResult.Current(version(state), render(state.domain()))))
        .build();
  }

  private ReplyEffect<CborSerializable, EntityState<S>> onExecute(
      EntityState<S> state, Execute execute) {
    CommandCodec.Decoded decoded = type.commands().decode(execute.command());
    if (!decoded.ok()) {
      return Effect().reply(execute.replyTo(), new EntityResult.Invalid(decoded.error()));
    }
    String fingerprint = null;
    long now = System.currentTimeMillis();
    if (execute.idempotencyKey() != null) {
      fingerprint = CommandFingerprint.of(execute.command());
      Optional<KeyRecorded> earlier =
          state.find(execute.idempotencyKey(), now, context.persistence().idempotencyRetention());
      if (earlier.isPresent()) {
        return Effect().reply(execute.replyTo(), repeated(earlier.get(), fingerprint));
      }
    }
    C command = type.commandType().cast(decoded.command());
    Outcome<E> outcome;
    try {
      outcome = type.commandHandler().handle(state.domain(), command);
    } catch (RuntimeException e) {
      // Names the command for supervision, which answers it and counts it towards quarantine.
      throw new CommandFailedException(execute, e);
    }
    if (outcome instanceof Outcome.Persist<E> persist) {
      JsonNode reply = reply(persist);
      List<CborSerializable> events = new ArrayList<>(persist.events());
      if (fingerprint != null) {
        S after = state.domain();
        for (E event : persist.events()) {
          after = type.eventHandler().apply(after, event);
        }
        events.add(
            new KeyRecorded(
                execute.idempotencyKey(),
                fingerprint,
                now,
                version(state) + persist.events().size(),
                render(after),
                reply,
                null));
      }
      long persistStarted = System.nanoTime();
      return Effect()
          .persist(events)
          .thenRun(
              persisted -> {
                telemetry.persisted(type.name(), System.nanoTime() - persistStarted);
                drive(persisted);
              })
          .thenReply(
              execute.replyTo(),
              newState ->
                  new EntityResult.Accepted(version(newState), render(newState.domain()), reply));
    }
    if (outcome instanceof Outcome.Reject<E> reject) {
      if (fingerprint == null) {
        return Effect().reply(execute.replyTo(), new EntityResult.Rejected(reject.reason()));
      }
      // Recorded, so that a retry gets this rejection even if the state has changed meanwhile.
      KeyRecorded rejected =
          new KeyRecorded(
              execute.idempotencyKey(),
              fingerprint,
              now,
              version(state),
              render(state.domain()),
              null,
              reject.reason());
      long persistStarted = System.nanoTime();
      return Effect()
          .persist(rejected)
          .thenRun(
              persisted -> telemetry.persisted(type.name(), System.nanoTime() - persistStarted))
          .thenReply(execute.replyTo(), newState -> new EntityResult.Rejected(reject.reason()));
    }
    if (outcome instanceof Outcome.Invalid<E> invalid) {
      return Effect().reply(execute.replyTo(), new EntityResult.Invalid(invalid.reason()));
    }
    throw new IllegalStateException("command handler of " + type.name() + " returned " + outcome);
  }

  // ---- sagas: send the next step, resolve its answer, persist the result, repeat ----

  /** Whether the receive timeout is the shorter one of a finished saga. */
  private boolean finishedTimeoutSet;

  /**
   * A saga with no step left is passivated after starfish.sharding.saga.passivate-finished-after
   * (through the same Idle message the sharding guard turns into Passivate), so that
   * remember-entities forgets it instead of recovering every finished saga on each rebalance. A
   * saga that has a step again (a start command after a refused one) goes back to the ordinary idle
   * passivation.
   */
  private void passivateSoonIfFinished(boolean finished) {
    Optional<java.time.Duration> after = sagaSettings.passivateFinishedAfter();
    if (after.isEmpty() || finished == finishedTimeoutSet) {
      return;
    }
    ActorContext<EntityMessage> actor = context.actorContext();
    if (finished) {
      actor.setReceiveTimeout(after.get(), ControlMessages.Idle.INSTANCE);
    } else {
      io.starfish.sharding.ShardingSettings.create(actor.getSystem())
          .passivateIdleAfter()
          .ifPresentOrElse(
              idle -> actor.setReceiveTimeout(idle, ControlMessages.Idle.INSTANCE),
              actor::cancelReceiveTimeout);
    }
    finishedTimeoutSet = finished;
  }

  /** Sends the saga's next step, if it has one and none is in flight. */
  private void drive(EntityState<S> state) {
    if (saga == null || stepInFlight != null) {
      return;
    }
    if (sagaSettings == null) {
      sagaSettings = SagaSettings.create(context.actorContext().getSystem());
    }
    Optional<SagaStep> next = saga.nextStep().next(context.entityId(), state.domain());
    if (next.isEmpty()) {
      stepFailures = 0;
      passivateSoonIfFinished(true);
      return;
    }
    passivateSoonIfFinished(false);
    SagaStep step = next.get();
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
              sagaSettings.stepTimeout(),
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

  private ReplyEffect<CborSerializable, EntityState<S>> onStepEnded(
      EntityState<S> state, StepEnded ended) {
    if (saga == null || !ended.stepKey().equals(stepInFlight)) {
      return Effect().noReply(); // an answer to a step already resolved
    }
    Optional<SagaStep> current = saga.nextStep().next(context.entityId(), state.domain());
    if (current.isEmpty() || !current.get().idempotencyKey().equals(ended.stepKey())) {
      stepInFlight = null;
      drive(state);
      return Effect().noReply();
    }
    SagaStep step = current.get();
    Optional<StepResult> definite = definite(step, ended);
    if (definite.isEmpty()) {
      awaitingAnswer = false;
      stepFailures++;
      java.time.Duration wait = sagaSettings.backoff(stepFailures);
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
      return Effect().noReply();
    }
    Outcome<E> outcome = saga.stepHandler().handle(state.domain(), step, definite.get());
    if (!(outcome instanceof Outcome.Persist<E> persist) || persist.events().isEmpty()) {
      throw new IllegalStateException(
          "the step handler of saga "
              + type.name()
              + " must persist at least one event for the result of step "
              + step.idempotencyKey()
              + ", returned "
              + outcome);
    }
    return Effect()
        .persist(new ArrayList<CborSerializable>(persist.events()))
        .thenRun(
            newState -> {
              stepInFlight = null;
              stepFailures = 0;
              drive(newState);
            })
        .thenNoReply();
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

  private static EntityResult repeated(KeyRecorded earlier, String fingerprint) {
    if (!earlier.fingerprint().equals(fingerprint)) {
      return new EntityResult.KeyReused(
          "the idempotency key \""
              + earlier.key()
              + "\" was already used for a different command on this entity");
    }
    return new EntityResult.Repeated(
        earlier.version(), earlier.state(), earlier.reply(), earlier.rejection());
  }

  @Override
  public EventHandler<EntityState<S>, CborSerializable> eventHandler() {
    return (state, event) -> {
      if (event instanceof KeyRecorded recorded) {
        return state.withKey(
            recorded,
            context.persistence().idempotencyMaxKeys(),
            context.persistence().idempotencyRetention());
      }
      return state.withDomain(type.eventHandler().apply(state.domain(), domainEvent(event)));
    };
  }

  @SuppressWarnings("unchecked") // the journal of this entity holds only its own events
  private E domainEvent(CborSerializable event) {
    return (E) event;
  }

  /**
   * Snapshots written before idempotency keys existed hold the developer's state itself; they are
   * read as that state with no keys.
   */
  @Override
  public SnapshotAdapter<EntityState<S>> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(EntityState<S> state) {
        return state;
      }

      @Override
      @SuppressWarnings("unchecked")
      public EntityState<S> fromJournal(Object from) {
        return from instanceof EntityState<?> state
            ? (EntityState<S>) state
            : EntityState.of((S) from);
      }
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    int every = type.snapshotEvery().orElse(context.persistence().snapshotEvery());
    return every > 0
        ? RetentionCriteria.snapshotEvery(every, context.persistence().keepSnapshots())
        : RetentionCriteria.disabled();
  }

  @Override
  public SignalHandler<EntityState<S>> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              telemetry.recovered(
                  type.name(), context.entityId(), System.nanoTime() - startedNanos);
              context
                  .actorContext()
                  .getLog()
                  .debug(
                      "{} recovered at version {}", context.persistenceId().id(), version(state));
              // a saga resumes where its journal left it: the pending step is sent (again)
              drive(state);
            })
        .build();
  }

  /**
   * Number of domain events applied so far: the journal's sequence number without the {@link
   * KeyRecorded} records.
   */
  private long version(EntityState<S> state) {
    return lastSequenceNumber(context.actorContext()) - state.markers();
  }

  private static JsonNode render(Object value) {
    return EntityJson.MAPPER.valueToTree(value);
  }

  private static JsonNode reply(Outcome.Persist<?> persist) {
    if (persist.reply() != null) {
      return render(persist.reply());
    }
    ObjectNode reply = EntityJson.MAPPER.createObjectNode();
    ArrayNode events = reply.putArray("events");
    for (Object event : persist.events()) {
      events.add(CommandCodec.encode(event));
    }
    return reply;
  }
}
