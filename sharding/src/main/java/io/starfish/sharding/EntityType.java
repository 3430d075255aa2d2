package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.internal.StoredNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * An entity type written the usual Starfish way: commands, events and state as records, a command
 * handler and an event handler. Starfish supplies the persistence id, sharding, serialization,
 * snapshots, supervision and the HTTP mapping.
 *
 * <pre>{@code
 * public static final EntityType<Command, Event, State> TYPE =
 *     EntityType.of(
 *         "account", Command.class, Event.class, new State(0), Account::onCommand, Account::onEvent);
 * }</pre>
 *
 * <p>Events and snapshots are stored under logical names ({@code account.deposited#1}, {@code
 * account.state#1}), not Java class names; {@link #withMigration}, {@link #withStateMigration} and
 * {@link #withRetiredEvent} read older stored shapes (docs/schema-evolution.md).
 *
 * @param <C> the sealed command interface (its records are the commands)
 * @param <E> the event type (records implementing {@link CborSerializable})
 * @param <S> the state (an immutable record implementing {@link CborSerializable})
 */
public final class EntityType<C, E extends CborSerializable, S extends CborSerializable>
    implements EntityDefinition {

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  private final String name;
  private final Class<C> commandType;
  private final CommandCodec commands;
  private final S initialState;
  private final ContextualCommandHandler<C, E, S> commandHandler;
  private final EventHandler<S, E> eventHandler;
  private final OptionalInt snapshotEvery;
  private final boolean streamed;
  private final Class<E> eventType;
  private final Map<Class<?>, JacksonMigration> migrations;
  private final Map<String, Function<JsonNode, List<? extends E>>> retiredEvents;

  private EntityType(
      String name,
      Class<C> commandType,
      Class<E> eventType,
      S initialState,
      ContextualCommandHandler<C, E, S> commandHandler,
      EventHandler<S, E> eventHandler,
      OptionalInt snapshotEvery,
      boolean streamed,
      Map<Class<?>, JacksonMigration> migrations,
      Map<String, Function<JsonNode, List<? extends E>>> retiredEvents) {
    this.name = requireValidName(name);
    this.commandType = Objects.requireNonNull(commandType, "commandType");
    this.commands = CommandCodec.forSealed(commandType);
    this.eventType = eventType;
    this.initialState = Objects.requireNonNull(initialState, "initialState");
    this.commandHandler = Objects.requireNonNull(commandHandler, "commandHandler");
    this.eventHandler = Objects.requireNonNull(eventHandler, "eventHandler");
    this.snapshotEvery = snapshotEvery;
    this.streamed = streamed;
    this.migrations = Map.copyOf(migrations);
    this.retiredEvents = Map.copyOf(retiredEvents);
  }

  private EntityType<C, E, S> copy(
      OptionalInt snapshotEvery,
      boolean streamed,
      Map<Class<?>, JacksonMigration> migrations,
      Map<String, Function<JsonNode, List<? extends E>>> retiredEvents) {
    return new EntityType<>(
        name,
        commandType,
        eventType,
        initialState,
        commandHandler,
        eventHandler,
        snapshotEvery,
        streamed,
        migrations,
        retiredEvents);
  }

  /**
   * Defines an entity type whose events and state are stored under logical names: each event record
   * as {@code <name>.<its TypeName or kebab-case simple name>}, the state as {@code <name>.state},
   * each with a version ({@link #withMigration}). Moving or renaming a class then changes nothing
   * stored (a renamed event keeps its name with {@link TypeName}).
   *
   * @param name type name used in URLs and persistence ids, e.g. "account"
   * @param commandType the sealed interface its command records implement
   * @param eventType the sealed interface its event records implement (or a single event record)
   * @param initialState the state of an entity that has no events yet
   * @param commandHandler decides what a command does
   * @param eventHandler applies an event to the state
   * @throws IllegalArgumentException when two events get the same stored name, or the event type is
   *     neither sealed nor a concrete class
   */
  public static <C, E extends CborSerializable, S extends CborSerializable> EntityType<C, E, S> of(
      String name,
      Class<C> commandType,
      Class<E> eventType,
      S initialState,
      CommandHandler<C, E, S> commandHandler,
      EventHandler<S, E> eventHandler) {
    Objects.requireNonNull(commandHandler, "commandHandler");
    return of(
        name,
        commandType,
        eventType,
        initialState,
        (ContextualCommandHandler<C, E, S>)
            (context, state, command) -> commandHandler.handle(state, command),
        eventHandler);
  }

  /**
   * As {@link #of(String, Class, Class, CborSerializable, CommandHandler, EventHandler)}, with a
   * command handler that also gets the entity's id and the time of the decision ({@link
   * CommandContext}).
   */
  public static <C, E extends CborSerializable, S extends CborSerializable> EntityType<C, E, S> of(
      String name,
      Class<C> commandType,
      Class<E> eventType,
      S initialState,
      ContextualCommandHandler<C, E, S> commandHandler,
      EventHandler<S, E> eventHandler) {
    EntityType<C, E, S> type =
        new EntityType<>(
            name,
            commandType,
            Objects.requireNonNull(eventType, "eventType"),
            initialState,
            commandHandler,
            eventHandler,
            OptionalInt.empty(),
            false,
            Map.of(),
            Map.of());
    StoredNames.of(type); // fails now, at declaration, on a name clash
    return type;
  }

  /**
   * The same type, reading the stored JSON of {@code event} through {@code migration}: events
   * stored at an older version are transformed to the current shape before they are read; new ones
   * are stored with {@link JacksonMigration#currentVersion()}. Only {@code transform} and the
   * versions are used ({@code transformClassName} is not: stored names are not class names).
   */
  public EntityType<C, E, S> withMigration(Class<? extends E> event, JacksonMigration migration) {
    Map<Class<?>, JacksonMigration> more = new LinkedHashMap<>(migrations);
    more.put(Objects.requireNonNull(event, "event"), Objects.requireNonNull(migration));
    EntityType<C, E, S> type = copy(snapshotEvery, streamed, more, retiredEvents);
    StoredNames.of(type);
    return type;
  }

  /**
   * The same type, reading its snapshots' state through {@code migration} (as {@link
   * #withMigration} for events).
   */
  public EntityType<C, E, S> withStateMigration(JacksonMigration migration) {
    Map<Class<?>, JacksonMigration> more = new LinkedHashMap<>(migrations);
    more.put(initialState.getClass(), Objects.requireNonNull(migration, "migration"));
    return copy(snapshotEvery, streamed, more, retiredEvents);
  }

  /**
   * The same type, reading the events stored under {@code storedName} (an event that no longer
   * exists) as the events {@code readAs} makes of their stored JSON, in order: a split of one event
   * into two, or a merge into an existing one. They are applied one after the other, share the
   * stored event's sequence number, and are never written again under the old name.
   */
  public EntityType<C, E, S> withRetiredEvent(
      String storedName, Function<JsonNode, List<? extends E>> readAs) {
    Map<String, Function<JsonNode, List<? extends E>>> more = new LinkedHashMap<>(retiredEvents);
    more.put(StoredNames.requireValidName(storedName), Objects.requireNonNull(readAs, "readAs"));
    EntityType<C, E, S> type = copy(snapshotEvery, streamed, migrations, more);
    StoredNames.of(type);
    return type;
  }

  /**
   * Registers a hand-written Pekko behaviour, typically an {@code EventSourcedBehavior} built with
   * {@link EntityContext#persistenceId()}. It receives {@link EntityMessage}s and must answer each
   * with an {@link EntityResult}. Starfish still supplies sharding and supervision; commands reach
   * it as JSON objects with a string "type".
   */
  public static Custom custom(
      String name, Function<EntityContext, Behavior<EntityMessage>> factory) {
    return new Custom(requireValidName(name), Objects.requireNonNull(factory, "factory"));
  }

  /**
   * The same type with its own snapshot interval instead of starfish.persistence.snapshot-every.
   */
  public EntityType<C, E, S> withSnapshotEvery(int events) {
    if (events < 0) {
      throw new IllegalArgumentException("snapshot interval must be >= 0, was " + events);
    }
    return copy(OptionalInt.of(events), streamed, migrations, retiredEvents);
  }

  /**
   * The same type with its events tagged with its name, so that they can be read across all its
   * entities ({@code GET /api/v1/streams/{type}}). Costs a second write per event (the plugin's tag
   * table); needs {@code pekko.persistence.cassandra.events-by-tag.enabled = on}.
   */
  public EntityType<C, E, S> streamed() {
    return copy(snapshotEvery, true, migrations, retiredEvents);
  }

  /** Whether this type's events are tagged for streams across its entities. */
  public boolean isStreamed() {
    return streamed;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CommandCodec commands() {
    return commands;
  }

  public Class<C> commandType() {
    return commandType;
  }

  public S initialState() {
    return initialState;
  }

  public ContextualCommandHandler<C, E, S> commandHandler() {
    return commandHandler;
  }

  public EventHandler<S, E> eventHandler() {
    return eventHandler;
  }

  /** The sealed interface (or the record) of this type's events. */
  public Class<E> eventType() {
    return eventType;
  }

  /** The migrations of stored JSON, by event or state class. */
  public Map<Class<?>, JacksonMigration> migrations() {
    return migrations;
  }

  /** Stored event names no longer written, with what they are read as. */
  public Map<String, Function<JsonNode, List<? extends E>>> retiredEvents() {
    return retiredEvents;
  }

  /** This type's own snapshot interval, if it has one. */
  public OptionalInt snapshotEvery() {
    return snapshotEvery;
  }

  @Override
  public String toString() {
    return "EntityType[" + name + ", commands " + commands.names() + "]";
  }

  static String requireValidName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "entity type name must match " + NAME.pattern() + ", was " + name);
    }
    return name;
  }

  /** A hand-written entity type; see {@link EntityType#custom}. */
  public record Custom(String name, Function<EntityContext, Behavior<EntityMessage>> factory)
      implements EntityDefinition {

    @Override
    public CommandCodec commands() {
      return CommandCodec.open();
    }
  }
}
