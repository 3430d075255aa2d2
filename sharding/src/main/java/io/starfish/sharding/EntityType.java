package io.starfish.sharding;

import io.starfish.persistence.CborSerializable;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.Behavior;

/**
 * An entity type written the usual Starfish way: commands, events and state as records, a command
 * handler and an event handler. Starfish supplies the persistence id, sharding, serialization,
 * snapshots, supervision and the HTTP mapping.
 *
 * <pre>{@code
 * public static final EntityType<Command, Event, State> TYPE =
 *     EntityType.of("account", Command.class, new State(0), Account::onCommand, Account::onEvent);
 * }</pre>
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
  private final CommandHandler<C, E, S> commandHandler;
  private final EventHandler<S, E> eventHandler;
  private final OptionalInt snapshotEvery;
  private final boolean streamed;

  private EntityType(
      String name,
      Class<C> commandType,
      S initialState,
      CommandHandler<C, E, S> commandHandler,
      EventHandler<S, E> eventHandler,
      OptionalInt snapshotEvery,
      boolean streamed) {
    this.name = requireValidName(name);
    this.commandType = Objects.requireNonNull(commandType, "commandType");
    this.commands = CommandCodec.forSealed(commandType);
    this.initialState = Objects.requireNonNull(initialState, "initialState");
    this.commandHandler = Objects.requireNonNull(commandHandler, "commandHandler");
    this.eventHandler = Objects.requireNonNull(eventHandler, "eventHandler");
    this.snapshotEvery = snapshotEvery;
    this.streamed = streamed;
  }

  /**
   * Defines an entity type.
   *
   * @param name type name used in URLs and persistence ids, e.g. "account"
   * @param commandType the sealed interface its command records implement
   * @param initialState the state of an entity that has no events yet
   * @param commandHandler decides what a command does
   * @param eventHandler applies an event to the state
   */
  public static <C, E extends CborSerializable, S extends CborSerializable> EntityType<C, E, S> of(
      String name,
      Class<C> commandType,
      S initialState,
      CommandHandler<C, E, S> commandHandler,
      EventHandler<S, E> eventHandler) {
    return new EntityType<>(
        name, commandType, initialState, commandHandler, eventHandler, OptionalInt.empty(), false);
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
    return new EntityType<>(
        name,
        commandType,
        initialState,
        commandHandler,
        eventHandler,
        OptionalInt.of(events),
        streamed);
  }

  /**
   * The same type with its events tagged with its name, so that they can be read across all its
   * entities ({@code GET /api/v1/streams/{type}}). Costs a second write per event (the plugin's tag
   * table); needs {@code pekko.persistence.cassandra.events-by-tag.enabled = on}.
   */
  public EntityType<C, E, S> streamed() {
    return new EntityType<>(
        name, commandType, initialState, commandHandler, eventHandler, snapshotEvery, true);
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

  public CommandHandler<C, E, S> commandHandler() {
    return commandHandler;
  }

  public EventHandler<S, E> eventHandler() {
    return eventHandler;
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
