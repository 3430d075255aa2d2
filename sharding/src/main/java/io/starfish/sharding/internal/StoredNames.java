package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.TypeName;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * The logical names under which one entity type's events and state are stored ({@code
 * account.deposited}, {@code account.state}), with their versions, and how each stored name is read
 * back. Built from the type's declaration; independent of where its classes live.
 */
public final class StoredNames {

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  /** The short name of every entity type's state. */
  static final String STATE = "state";

  /** A stored name with the version new writes carry. */
  public record Versioned(String name, int version) {
    String manifest() {
      return name + "#" + version;
    }
  }

  /** How the data stored under one name is read. */
  sealed interface Reading permits EventReading, StateReading, RetiredReading {}

  /** An event class of today's code, and the migration of its older shapes (or null). */
  record EventReading(Class<?> type, JacksonMigration migration) implements Reading {}

  /** The state class, and the migration of its older shapes (or null). */
  record StateReading(Class<?> type, JacksonMigration migration) implements Reading {}

  /** An event no longer written, read as zero or more of today's events. */
  record RetiredReading(Function<JsonNode, List<?>> readAs) implements Reading {}

  private final Map<Class<?>, Versioned> written;
  private final Map<String, Reading> read;

  private StoredNames(Map<Class<?>, Versioned> written, Map<String, Reading> read) {
    this.written = Map.copyOf(written);
    this.read = Map.copyOf(read);
  }

  /**
   * The names of {@code type}.
   *
   * @throws IllegalArgumentException when two of its events, or an event and a retired name, get
   *     the same stored name
   */
  public static StoredNames of(EntityType<?, ?, ?> type) {
    Map<Class<?>, Versioned> written = new LinkedHashMap<>();
    Map<String, Reading> read = new LinkedHashMap<>();
    for (Class<?> event : eventClasses(type.eventType())) {
      String name = type.name() + "." + shortName(event);
      JacksonMigration migration = type.migrations().get(event);
      Reading previous = read.put(name, new EventReading(event, migration));
      if (previous != null) {
        throw new IllegalArgumentException(
            "entity type '"
                + type.name()
                + "': "
                + event.getName()
                + " and "
                + ((EventReading) previous).type().getName()
                + " would both be stored as "
                + name
                + "; give one a @TypeName");
      }
      written.put(event, new Versioned(name, versionOf(migration)));
    }
    Class<?> state = type.initialState().getClass();
    String stateName = type.name() + "." + STATE;
    JacksonMigration stateMigration = type.migrations().get(state);
    if (read.containsKey(stateName)) {
      throw new IllegalArgumentException(
          "entity type '" + type.name() + "': the stored name " + stateName + " is its state's");
    }
    read.put(stateName, new StateReading(state, stateMigration));
    written.put(state, new Versioned(stateName, versionOf(stateMigration)));
    type.retiredEvents()
        .forEach(
            (shortName, readAs) -> {
              String name = type.name() + "." + shortName;
              if (read.containsKey(name)) {
                throw new IllegalArgumentException(
                    "entity type '"
                        + type.name()
                        + "': retired event name "
                        + name
                        + " is still the stored name of a current event or the state");
              }
              read.put(name, new RetiredReading(json -> List.copyOf(readAs.apply(json))));
            });
    for (Class<?> migrated : type.migrations().keySet()) {
      if (!written.containsKey(migrated)) {
        throw new IllegalArgumentException(
            "entity type '"
                + type.name()
                + "': a migration is registered for "
                + migrated.getName()
                + ", which is neither one of its events nor its state");
      }
    }
    return new StoredNames(written, read);
  }

  /** The stored name and version of an event or state object of this type, if it has one. */
  public Optional<Versioned> nameOf(Class<?> type) {
    return Optional.ofNullable(written.get(type));
  }

  /**
   * What the journal or snapshot store is given for one of this type's events or snapshots ({@link
   * EntityState}): the object with its stored name, or the object itself when it has none
   * (Starfish's own records).
   */
  public Object stored(Object eventOrSnapshot) {
    Optional<Versioned> name =
        eventOrSnapshot instanceof EntityState<?> state
            ? nameOf(state.domain().getClass())
            : nameOf(eventOrSnapshot.getClass()).filter(n -> !n.name().endsWith("." + STATE));
    return name.<Object>map(n -> new Stored(n, eventOrSnapshot)).orElse(eventOrSnapshot);
  }

  Optional<Reading> reading(String name) {
    return Optional.ofNullable(read.get(name));
  }

  java.util.Set<String> names() {
    return read.keySet();
  }

  /** A short stored name: its {@link TypeName}, or its simple name in kebab case. */
  static String shortName(Class<?> event) {
    TypeName declared = event.getAnnotation(TypeName.class);
    if (declared != null) {
      return requireValidName(declared.value());
    }
    return requireValidName(
        event
            .getSimpleName()
            .replaceAll("([a-z0-9])([A-Z])", "$1-$2")
            .replaceAll("([A-Z])([A-Z][a-z])", "$1-$2")
            .toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * @throws IllegalArgumentException when {@code name} is not a valid short stored name
   */
  public static String requireValidName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "stored type name must match " + NAME.pattern() + ", was " + name);
    }
    return name;
  }

  private static int versionOf(JacksonMigration migration) {
    return migration == null ? 1 : migration.currentVersion();
  }

  /** Every concrete class of a sealed event hierarchy, or the class itself. */
  private static List<Class<?>> eventClasses(Class<?> root) {
    List<Class<?>> found = new ArrayList<>();
    collect(root, root, found);
    return found;
  }

  private static void collect(Class<?> root, Class<?> type, List<Class<?>> found) {
    boolean isAbstract = type.isInterface() || Modifier.isAbstract(type.getModifiers());
    if (!isAbstract) {
      found.add(type);
      return;
    }
    if (!type.isSealed()) {
      throw new IllegalArgumentException(
          "event type "
              + root.getName()
              + ": "
              + type.getName()
              + " is not sealed, so Starfish cannot know every event it must read by name;"
              + " make it a sealed interface of records");
    }
    for (Class<?> permitted : type.getPermittedSubclasses()) {
      collect(root, permitted, found);
    }
  }
}
