package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.observability.EntityTelemetry;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityMessage.GetState;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.sharding.SagaType;
import io.starfish.sharding.internal.ControlMessages.StepDue;
import io.starfish.sharding.internal.ControlMessages.StepEnded;
import io.starfish.supervision.CommandFailedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

  /** Runs the steps of the saga this entity is; null for a plain entity. */
  private final SagaDriver<C, E, S> saga;

  private final EntityTelemetry telemetry;

  /** When this incarnation started (its recovery began), as System.nanoTime(). */
  private final long startedNanos;

  public DeclaredEntity(EntityType<C, E, S> type, EntityContext context) {
    this(type, null, context);
  }

  public DeclaredEntity(EntityType<C, E, S> type, SagaType<C, E, S> saga, EntityContext context) {
    super(context.persistenceId());
    this.type = type;
    this.saga = saga == null ? null : new SagaDriver<>(saga, context);
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
              if (saga != null) {
                saga.onStepDue(state.domain(), due);
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
                        new EntityResult.Current(
                            version(state), EntityRendering.render(state.domain()))))
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
        return Effect()
            .reply(execute.replyTo(), IdempotencyRecords.answerToRetry(earlier.get(), fingerprint));
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
      JsonNode reply = EntityRendering.reply(persist);
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
                EntityRendering.render(after),
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
                  new EntityResult.Accepted(
                      version(newState), EntityRendering.render(newState.domain()), reply));
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
              EntityRendering.render(state.domain()),
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

  /** Sends the saga's next step, if this entity is a saga. */
  private void drive(EntityState<S> state) {
    if (saga != null) {
      saga.drive(state.domain());
    }
  }

  private ReplyEffect<CborSerializable, EntityState<S>> onStepEnded(
      EntityState<S> state, StepEnded ended) {
    if (saga == null) {
      return Effect().noReply();
    }
    Optional<List<E>> events = saga.onStepEnded(state.domain(), ended);
    if (events.isEmpty()) {
      return Effect().noReply();
    }
    return Effect()
        .persist(new ArrayList<CborSerializable>(events.get()))
        .thenRun(newState -> saga.stepPersisted(newState.domain()))
        .thenNoReply();
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

  /** Snapshots written before idempotency keys existed are read as that state with no keys. */
  @Override
  public SnapshotAdapter<EntityState<S>> snapshotAdapter() {
    return new PreKeySnapshots<>();
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
}
