package io.starfish.sharding.internal;

import io.starfish.sharding.EntityType;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The stored names of every entity type declared in this actor system, for {@link
 * StoredTypeSerializer} to read journals and snapshots by name. Types register when sharding starts
 * them and when an entity of theirs starts (test kits), before anything of theirs is read.
 */
public final class StoredTypes implements Extension {

  private static final Id ID = new Id();

  /** Per entity type name: the declaration the names were built from, and the names. */
  private record Registered(EntityType<?, ?, ?> type, StoredNames names) {}

  private final Map<String, Registered> byType = new ConcurrentHashMap<>();

  public static StoredTypes get(ActorSystem system) {
    return ID.get(system);
  }

  /**
   * Registers {@code type}'s names (a no-op when this declaration is already registered) and gives
   * them. A later declaration of the same type name replaces an earlier one.
   */
  public StoredNames register(EntityType<?, ?, ?> type) {
    Registered known = byType.get(type.name());
    if (known != null && known.type() == type) {
      return known.names();
    }
    StoredNames names = StoredNames.of(type);
    byType.put(type.name(), new Registered(type, names));
    return names;
  }

  /** How the data stored under {@code name} ({@code <type>.<short name>}) is read, if known. */
  Optional<StoredNames.Reading> reading(String name) {
    int dot = name.indexOf('.');
    Registered registered = dot < 0 ? null : byType.get(name.substring(0, dot));
    return registered == null ? Optional.empty() : registered.names().reading(name);
  }

  private static final class Id extends AbstractExtensionId<StoredTypes> {
    @Override
    public StoredTypes createExtension(ExtendedActorSystem system) {
      return new StoredTypes();
    }
  }
}
