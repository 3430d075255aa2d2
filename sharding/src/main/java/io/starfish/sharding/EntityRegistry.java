package io.starfish.sharding;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The entity types a node serves, by name. Immutable; every node must register the same set. */
public final class EntityRegistry {

  private final Map<String, EntityDefinition> byName;

  private EntityRegistry(Map<String, EntityDefinition> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  public static EntityRegistry of(EntityDefinition... types) {
    return of(List.of(types));
  }

  public static EntityRegistry of(Collection<? extends EntityDefinition> types) {
    Map<String, EntityDefinition> byName = new LinkedHashMap<>();
    for (EntityDefinition type : types) {
      if (byName.putIfAbsent(type.name(), type) != null) {
        throw new IllegalArgumentException("entity type '" + type.name() + "' registered twice");
      }
    }
    return new EntityRegistry(byName);
  }

  public Optional<EntityDefinition> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Collection<EntityDefinition> all() {
    return byName.values();
  }

  public Collection<String> names() {
    return byName.keySet();
  }
}
