package io.starfish.sharding.internal;

import io.starfish.observability.EntityTelemetry;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityMessage.GetState;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.SagaType;
import io.starfish.sharding.internal.ControlMessages.StepDue;
import io.starfish.sharding.internal.ControlMessages.StepEnded;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.javadsl.Adapter;
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

  /** Whether a group commit is in front of this entity (told when a command or batch settles). */
  private final boolean groupCommit;

  /** When this incarnation started (its recovery began), as System.nanoTime(). */
  private final long startedNanos;

  /** The time handlers see ({@link io.starfish.sharding.EntityClock}; tests can set it). */
  private final io.starfish.sharding.EntityClock clock;

  /** The logical names its events and state are stored under. */
  private final StoredNames storedNames;

  /**
   * A plain entity.
   *
   * @param groupCommit whether a {@link GroupCommit} is in front of it, to be told when it settles
   */
  public DeclaredEntity(EntityType<C, E, S> type, EntityContext context, boolean groupCommit) {
    this(type, null, context, groupCommit);
  }

  /** A saga (one command at a time: its steps are what it waits for). */
  public DeclaredEntity(EntityType<C, E, S> type, SagaType<C, E, S> saga, EntityContext context) {
    this(type, saga, context, false);
  }

  private DeclaredEntity(
      EntityType<C, E, S> type,
      SagaType<C, E, S> saga,
      EntityContext context,
      boolean groupCommit) {
    super(context.persistenceId());
    this.groupCommit = groupCommit;
    this.type = type;
    this.saga = saga == null ? null : new SagaDriver<>(saga, context);
    this.context = context;
    this.telemetry = EntityTelemetry.get(context.actorContext().getSystem());
    this.startedNanos = System.nanoTime();
    this.storedNames =
        StoredTypes.get(context.actorContext().getSystem().classicSystem()).register(type);
    this.clock = io.starfish.sharding.EntityClock.get(context.actorContext().getSystem());
  }

  @Override
  public EntityState<S> emptyState() {
    return EntityState.of(type.initialState());
  }

  /**
   * One method reference, not Pekko's handler builder: the builder's cases (nine, with two lambdas
   * each) were built again for every entity instance, 0.6 KB of every idle entity's heap
   * (docs/benchmarks.md §10.4).
   */
  @Override
  public CommandHandlerWithReply<EntityMessage, CborSerializable, EntityState<S>> commandHandler() {
    return this::onMessage;
  }

  private ReplyEffect<CborSerializable, EntityState<S>> onMessage(
      EntityState<S> state, EntityMessage message) {
    if (message instanceof Execute execute) {
      return onExecute(state, execute);
    }
    if (message instanceof ControlMessages.ExecuteBatch batch) {
      return onCommands(state, batch.commands());
    }
    if (message instanceof GetState get) {
      return Effect()
          .reply(
              get.replyTo(),
              state.deleted()
                  ? new EntityResult.Gone(state.deletedAtVersion())
                  : new EntityResult.Current(
                      version(state), EntityRendering.render(state.domain())));
    }
    if (message instanceof StepEnded ended) {
      return onStepEnded(state, ended);
    }
    if (message instanceof StepDue due) {
      if (saga != null) {
        saga.onStepDue(state.domain(), due);
      }
      return Effect().noReply();
    }
    if (message instanceof ControlMessages.TimerDue due) {
      return onTimerDue(state, due);
    }
    if (message instanceof EntityMessage.Delete delete) {
      return onDelete(state, delete);
    }
    // Settled is consumed by the group commit in front; without one it means nothing. Under
    // sharding the guard (EntityGuard) turns Idle into Passivate before it gets here; an entity run
    // without it (unit tests) has no one to passivate it and ignores it.
    if (message instanceof ControlMessages.Settled || message instanceof ControlMessages.Idle) {
      return Effect().noReply();
    }
    throw new IllegalArgumentException(
        "no handler for " + message.getClass().getName() + " in " + context.persistenceId().id());
  }

  /**
   * Persists the final marker, answers, and has the journal cleared ({@link EntityEraser}); the
   * marker's state is what the tombstone snapshot holds once the events are gone.
   */
  private ReplyEffect<CborSerializable, EntityState<S>> onDelete(
      EntityState<S> state, EntityMessage.Delete delete) {
    if (state.deleted()) {
      return Effect().reply(delete.replyTo(), new EntityResult.Gone(state.deletedAtVersion()));
    }
    if (saga != null) {
      return Effect().reply(delete.replyTo(), new EntityResult.Rejected("sagas cannot be deleted"));
    }
    long version = version(state);
    return Effect()
        .persist(new EntityDeleted(version, clock.clock().millis()))
        .thenRun(this::erase)
        .thenReply(delete.replyTo(), deleted -> new EntityResult.Deleted(version));
  }

  /** Removes this deleted entity's events and older snapshots, leaving the tombstone snapshot. */
  private void erase(EntityState<S> tombstone) {
    context
        .actorContext()
        .getLog()
        .info("{} deleted; erasing its journal", context.persistenceId().id());
    Adapter.actorOf(
        context.actorContext(),
        EntityEraser.props(context.persistenceId().id(), snapshotAdapter().toJournal(tombstone)));
  }

  private ReplyEffect<CborSerializable, EntityState<S>> onExecute(
      EntityState<S> state, Execute execute) {
    return onCommands(state, List.of(execute));
  }

  /**
   * Decides the commands one after another ({@link CommandBatch}) and writes all their events in
   * one atomic write; every caller is answered once it is durable (at once if nothing is written).
   */
  private ReplyEffect<CborSerializable, EntityState<S>> onCommands(
      EntityState<S> state, List<Execute> commands) {
    if (state.deleted()) {
      for (Execute command : commands) {
        command.replyTo().tell(new EntityResult.Gone(state.deletedAtVersion()));
      }
      settled();
      return Effect().noReply();
    }
    CommandBatch.Decided decided =
        CommandBatch.decide(
            type,
            context.persistence(),
            state,
            version(state),
            commands,
            context.entityId(),
            clock.clock().millis());
    if (!decided.writes()) {
      decided.answerAll();
      settled();
      return Effect().noReply();
    }
    long persistStarted = System.nanoTime();
    return Effect()
        .persist(decided.events())
        .thenRun(
            persisted -> {
              telemetry.persisted(type.name(), System.nanoTime() - persistStarted);
              decided.answerAll();
              settled();
              index(decided);
              drive(persisted);
            })
        .thenNoReply();
  }

  /**
   * A durable timer is due: its command is applied, with {@link TimerFired} in the same write, if
   * that timer is still pending; a delivery of a timer that already fired, was cancelled or was
   * replaced writes nothing and gets the current state. No group commit note: a firing is not one
   * of its batches.
   */
  private ReplyEffect<CborSerializable, EntityState<S>> onTimerDue(
      EntityState<S> state, ControlMessages.TimerDue due) {
    if (state.deleted()) {
      return Effect().reply(due.replyTo(), new EntityResult.Gone(state.deletedAtVersion()));
    }
    java.util.Optional<PendingTimer> pending =
        state.timer(due.timerId()).filter(timer -> timer.seq() == due.seq());
    if (pending.isEmpty()) {
      return Effect()
          .reply(
              due.replyTo(),
              new EntityResult.Current(version(state), EntityRendering.render(state.domain())));
    }
    CommandBatch.Decided decided =
        CommandBatch.decideTimer(
            type,
            state,
            version(state),
            pending.get(),
            due,
            context.entityId(),
            clock.clock().millis());
    return Effect()
        .persist(decided.events())
        .thenRun(
            persisted -> {
              decided.answerAll();
              index(decided);
              drive(persisted);
            })
        .thenNoReply();
  }

  /**
   * Writes the index rows of the timers a durable write scheduled, and removes those of the timers
   * it cancelled or replaced (best effort: a leftover row costs a delivery that changes nothing). A
   * row that cannot be written restarts the entity, whose recovery writes it again.
   */
  private void index(CommandBatch.Decided decided) {
    if (decided.scheduled().isEmpty() && decided.cancelled().isEmpty()) {
      return;
    }
    TimerIndexes indexes = TimerIndexes.get(context.actorContext().getSystem());
    for (PendingTimer timer : decided.scheduled()) {
      addRow(indexes, timer, timer.dueAtMillis());
    }
    for (PendingTimer timer : decided.cancelled()) {
      indexes
          .index()
          .remove(
              TimerIndex.row(
                  type.name(), context.entityId(), timer, timer.dueAtMillis(), indexes.settings()));
    }
  }

  /**
   * After recovery: the rows of all pending timers are written again (a row lost between the
   * journal write and the index write, e.g. in a crash, comes back). One already overdue by more
   * than the sweepers' settle window is written as due now, where sweepers still read.
   */
  private void reindex(EntityState<S> state) {
    if (state.timers().isEmpty()) {
      return;
    }
    TimerIndexes indexes = TimerIndexes.get(context.actorContext().getSystem());
    long now = clock.clock().millis();
    long settle = indexes.settings().settleWindow().toMillis();
    for (PendingTimer timer : state.timers()) {
      addRow(indexes, timer, timer.dueAtMillis() >= now - settle ? timer.dueAtMillis() : now);
    }
  }

  private void addRow(TimerIndexes indexes, PendingTimer timer, long dueAtMillis) {
    var self = context.actorContext().getSelf();
    var log = context.actorContext().getLog();
    String pid = context.persistenceId().id();
    indexes
        .index()
        .add(
            TimerIndex.row(type.name(), context.entityId(), timer, dueAtMillis, indexes.settings()))
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                log.error(
                    "{}: could not index timer '{}' ({}); restarting to index it again",
                    pid,
                    timer.timerId(),
                    failure.toString());
                self.tell(new ControlMessages.Crash());
              }
            });
  }

  /** Tells the group commit in front of this entity, if there is one, that it may send more. */
  private void settled() {
    if (groupCommit) {
      context.actorContext().getSelf().tell(ControlMessages.Settled.INSTANCE);
    }
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
      if (event instanceof EntityDeleted deleted) {
        return state.asDeleted(deleted);
      }
      if (TimerMarkers.isMarker(event)) {
        return state.withTimerMarker(event);
      }
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
   * A streamed type's own events carry its name as their tag, and so does its deletion marker (a
   * view then removes the entity's row; streams leave it out). Idempotency records do not.
   */
  @Override
  public java.util.Set<String> tagsFor(CborSerializable event) {
    return type.isStreamed() && !(event instanceof KeyRecorded) && !TimerMarkers.isMarker(event)
        ? java.util.Set.of(type.name())
        : java.util.Set.of();
  }

  /**
   * Domain events are stored under their logical names; a split retired event is applied as its
   * parts.
   */
  @Override
  public org.apache.pekko.persistence.typed.EventAdapter<CborSerializable, ?> eventAdapter() {
    return new StoredEvents(storedNames);
  }

  /**
   * Snapshots are stored under the state's logical name; those written before idempotency keys
   * existed are read as that state with no keys.
   */
  @Override
  public SnapshotAdapter<EntityState<S>> snapshotAdapter() {
    return new PreKeySnapshots<>(storedNames);
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
              if (state.deleted()) {
                // a deletion interrupted before its journal was cleared is finished now
                erase(state);
                return;
              }
              reindex(state);
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
