package io.starfish.sharding.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.CborSerializable;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.CommandContext;
import io.starfish.sharding.EntityClock;
import io.starfish.sharding.EntityDefinition;
import io.starfish.sharding.EntityEvents;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityRouter;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.ExpectsReply;
import io.starfish.sharding.SagaType;
import io.starfish.sharding.internal.ControlMessages;
import io.starfish.sharding.internal.EntityDeleted;
import io.starfish.sharding.internal.EntityInstance;
import io.starfish.sharding.internal.EntityState;
import io.starfish.sharding.internal.KeyRecorded;
import io.starfish.sharding.internal.ReplyTypes;
import io.starfish.sharding.internal.TimerMarkers;
import io.starfish.supervision.SupervisionSettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * Runs one entity of a declared type ({@link EntityType} or {@link SagaType}) as Starfish runs it
 * (its generated event-sourced behaviour inside its supervision) on Pekko's in-memory journal:
 * typed commands in; the reply, the persisted events and the state out, typed. Restart it to test
 * recovery from snapshots and events.
 *
 * <p>For tests only: it needs {@code pekko-persistence-testkit} on the test class path (Starfish
 * depends on it as "provided") and an actor system started with {@link #config()}.
 *
 * @param <C> the entity's command type
 * @param <E> its event type
 * @param <S> its state type
 */
public final class EntityTestKit<C, E extends CborSerializable, S extends CborSerializable> {

  /** What one command did. */
  public record Result<E, S>(EntityResult reply, List<E> events, boolean keyRecorded, S state) {

    /** Nothing was written: no event and no idempotency record. */
    public boolean hasNoEvents() {
      return events.isEmpty() && !keyRecorded;
    }

    /**
     * The command's reply as an {@code R}, read from the JSON a client would get (so a reply that
     * does not render and read back fails here too).
     *
     * @throws IllegalStateException when the command was not accepted (the reply says why)
     */
    public <R> R reply(Class<R> type) {
      JsonNode json;
      if (reply instanceof EntityResult.Accepted accepted) {
        json = accepted.reply();
      } else if (reply instanceof EntityResult.Repeated repeated && repeated.rejection() == null) {
        json = repeated.reply();
      } else {
        throw new IllegalStateException("the command was not accepted: " + reply);
      }
      try {
        return EntityJson.MAPPER.treeToValue(json, type);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(
            "the reply " + json + " does not read as a " + type.getName(), e);
      }
    }
  }

  private final EventSourcedBehaviorTestKit<EntityMessage, CborSerializable, EntityState<S>> kit;
  private final String persistenceId;
  private final ActorSystem<?> system;
  private final EntityDefinition definition;

  private EntityTestKit(
      ActorSystem<?> system,
      EntityDefinition definition,
      String id,
      PersistenceSettings persistence,
      EntityRouter router) {
    this.kit =
        EventSourcedBehaviorTestKit.create(
            system,
            EntityInstance.behavior(
                definition,
                id,
                persistence,
                SupervisionSettings.create(system),
                self -> {},
                router,
                null));
    this.persistenceId = definition.name() + "|" + id;
    this.system = system;
    this.definition = definition;
  }

  /**
   * The configuration an actor system needs for this kit: in-memory journal and snapshots, which
   * store events and snapshots serialized as Cassandra would.
   */
  public static Config config() {
    return ConfigFactory.parseString(
            "pekko.persistence.journal.auto-start-journals = []\n"
                + "pekko.persistence.snapshot-store.auto-start-snapshot-stores = []\n"
                // events and snapshots go through their serializers, as in Cassandra: a restart
                // reads what the real journal would give back (stored names, migrations)
                + "pekko.persistence.testkit.events.serialize = on\n"
                + "pekko.persistence.testkit.snapshots.serialize = on\n"
                // no Cassandra: timers are found due in memory
                + "starfish.timers.index = in-memory\n")
        .withFallback(EventSourcedBehaviorTestKit.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
  }

  /** Entity {@code id} of {@code type}, with the persistence settings of {@code system}. */
  public static <C, E extends CborSerializable, S extends CborSerializable>
      EntityTestKit<C, E, S> of(ActorSystem<?> system, EntityType<C, E, S> type, String id) {
    return of(system, type, id, PersistenceSettings.create(system));
  }

  /** As above, with its own persistence settings (snapshot interval, idempotency bounds). */
  public static <C, E extends CborSerializable, S extends CborSerializable>
      EntityTestKit<C, E, S> of(
          ActorSystem<?> system,
          EntityType<C, E, S> type,
          String id,
          PersistenceSettings persistence) {
    return new EntityTestKit<>(system, type, id, persistence, EntityTestKit::unreachable);
  }

  /**
   * Saga {@code id} of {@code saga}; its steps go to {@code router} (e.g. test probes standing in
   * for the target entities).
   */
  public static <C, E extends CborSerializable, S extends CborSerializable>
      EntityTestKit<C, E, S> of(
          ActorSystem<?> system, SagaType<C, E, S> saga, String id, EntityRouter router) {
    return new EntityTestKit<>(system, saga, id, PersistenceSettings.create(system), router);
  }

  /** Runs a command, as a client's JSON would reach the entity. */
  public Result<E, S> run(C command) {
    return execute(CommandCodec.encode(command), null);
  }

  /** Runs a command under an idempotency key. */
  public Result<E, S> run(C command, String idempotencyKey) {
    return execute(CommandCodec.encode(command), idempotencyKey);
  }

  /**
   * Runs a command that declares its reply ({@link ExpectsReply}) and returns that reply, typed:
   * {@code Value v = kit.ask(new Increment(3));}.
   *
   * @throws IllegalStateException when the command was not accepted (rejected, invalid, ...)
   * @throws IllegalArgumentException when the command is not one of this entity's
   */
  public <R> R ask(ExpectsReply<R> command) {
    if (!definition.commands().knows(command.getClass())) {
      throw new IllegalArgumentException(
          command.getClass().getName() + " is not a command of " + definition.name());
    }
    return execute(CommandCodec.encode(command), null).reply(ReplyTypes.of(command.getClass()));
  }

  /** Runs a command given as JSON, e.g. one a client could send but no record can express. */
  public Result<E, S> runJson(String json) {
    return execute(parse(json), null);
  }

  /** Runs a command given as JSON under an idempotency key. */
  public Result<E, S> runJson(String json, String idempotencyKey) {
    return execute(parse(json), idempotencyKey);
  }

  /**
   * What a client's read gets: the state as JSON and the version ({@link EntityResult.Current}), or
   * {@link EntityResult.Gone} once the entity is deleted.
   */
  public EntityResult readResult() {
    return kit.runCommand(EntityMessage.GetState::new).reply();
  }

  /** What a client's read gets: the state as JSON and the version. */
  public EntityResult.Current read() {
    return (EntityResult.Current) readResult();
  }

  /**
   * Deletes the entity ({@code DELETE}): {@link EntityResult.Deleted} with its version, or {@link
   * EntityResult.Gone} when it was deleted before. Its journal is then cleared in the background:
   * {@link #journal()} becomes empty.
   */
  public EntityResult delete() {
    return kit.runCommand(EntityMessage.Delete::new).reply();
  }

  /** Whether the entity is deleted. */
  public boolean isDeleted() {
    return kit.getState().deleted();
  }

  /** The entity's current state. */
  public S state() {
    return kit.getState().domain();
  }

  /** The entity's version: the number of its events. */
  public long version() {
    return read().version();
  }

  /** How many idempotency keys the entity remembers now. */
  public int rememberedKeys() {
    return kit.getState().keys().size();
  }

  /**
   * Sets the clock the entities of this kit's actor system read ({@link CommandContext#now()},
   * idempotency record times), e.g. {@code Clock.fixed(...)} or a clock the test moves itself.
   */
  public void setClock(java.time.Clock clock) {
    EntityClock.get(system).set(clock);
  }

  /** Stops the entity and starts it again: it recovers from its snapshot and events. */
  public void restart() {
    kit.restart();
  }

  /**
   * The entity's events in the journal, oldest first (idempotency records and the deletion marker
   * left out).
   */
  public List<E> journal() {
    List<E> events = new ArrayList<>();
    for (Object stored : kit.persistenceTestKit().persistedInStorage(persistenceId)) {
      if (!(stored instanceof KeyRecorded)
          && !(stored instanceof EntityDeleted)
          && !TimerMarkers.isMarker(stored)) {
        for (Object event : EntityEvents.eventsIn(stored)) {
          events.add(event(event));
        }
      }
    }
    return events;
  }

  /** The in-memory journal, e.g. to make its next writes fail. */
  public PersistenceTestKit journalControl() {
    return kit.persistenceTestKit();
  }

  /** A durable timer the entity has scheduled and that has not fired. */
  public record ScheduledTimer(String timerId, Instant dueAt, Object command) {}

  /** The entity's pending durable timers, in the order they were scheduled. */
  public List<ScheduledTimer> pendingTimers() {
    return kit.getState().timers().stream()
        .map(
            t ->
                new ScheduledTimer(
                    t.timerId(),
                    Instant.ofEpochMilli(t.dueAtMillis()),
                    definition.commands().decodeTimer(t.command()).command()))
        .toList();
  }

  /**
   * Fires the pending timer {@code timerId} now, as the sweeper would once it is due, whatever its
   * due time: its command is decided and applied (the result's reply is the command's).
   *
   * @throws IllegalArgumentException when no timer with this id is pending
   */
  public Result<E, S> fireTimer(String timerId) {
    var timer =
        kit.getState().timers().stream()
            .filter(t -> t.timerId().equals(timerId))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no pending timer '" + timerId + "'"));
    return run(replyTo -> new ControlMessages.TimerDue(timer.timerId(), timer.seq(), replyTo));
  }

  /**
   * Delivers a firing of timer {@code timerId} with schedule number {@code seq} (e.g. a repeated
   * delivery of one that already fired): nothing is applied unless exactly that timer is pending.
   */
  public Result<E, S> deliverTimer(String timerId, long seq) {
    return run(replyTo -> new ControlMessages.TimerDue(timerId, seq, replyTo));
  }

  /** The schedule number of the pending timer {@code timerId}, e.g. to deliver it twice. */
  public long timerSeq(String timerId) {
    return kit.getState().timers().stream()
        .filter(t -> t.timerId().equals(timerId))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no pending timer '" + timerId + "'"))
        .seq();
  }

  private Result<E, S> execute(JsonNode command, String idempotencyKey) {
    return run(replyTo -> new EntityMessage.Execute(command, idempotencyKey, replyTo));
  }

  private Result<E, S> run(
      java.util.function.Function<
              org.apache.pekko.actor.typed.ActorRef<EntityResult>, EntityMessage>
          message) {
    var result = kit.<EntityResult>runCommand(message::apply);
    List<E> events = new ArrayList<>();
    boolean keyRecorded = false;
    for (Object written : result.events()) {
      if (written instanceof KeyRecorded) {
        keyRecorded = true;
      } else if (TimerMarkers.isMarker(written)) {
        continue;
      } else {
        for (Object event : EntityEvents.eventsIn(written)) {
          events.add(event(event));
        }
      }
    }
    return new Result<>(result.reply(), List.copyOf(events), keyRecorded, result.state().domain());
  }

  @SuppressWarnings("unchecked") // the entity's journal holds only its own events
  private E event(Object stored) {
    return (E) stored;
  }

  private static JsonNode parse(String json) {
    try {
      return EntityJson.COMMANDS.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }

  private static org.apache.pekko.actor.typed.RecipientRef<EntityMessage> unreachable(
      String type, String id) {
    throw new IllegalStateException(
        "this entity sent a message to " + type + "/" + id + "; test it as a saga with a router");
  }
}
