package io.starfish.supervision;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import org.apache.pekko.actor.typed.ActorSystem;

/** Typed view of {@code starfish.supervision} (see this module's reference.conf). */
public final class SupervisionSettings {

  private final Config supervision;
  private final EntityPolicy entityDefaults;

  private SupervisionSettings(Config supervision) {
    this.supervision = supervision;
    this.entityDefaults = EntityPolicy.create(supervision.getConfig("entity"));
  }

  public static SupervisionSettings create(ActorSystem<?> system) {
    return create(system.settings().config());
  }

  /** Reads {@code starfish.supervision} from a full configuration. */
  public static SupervisionSettings create(Config config) {
    return new SupervisionSettings(config.getConfig("starfish.supervision"));
  }

  /** The defaults that apply to every entity type without an override. */
  public EntityPolicy entityDefaults() {
    return entityDefaults;
  }

  /** The policy of one entity type: its overrides in {@code entity-types}, else the defaults. */
  public EntityPolicy forEntityType(String entityTypeName) {
    String path = "entity-types." + ConfigUtil.quoteString(entityTypeName);
    if (!supervision.hasPath(path)) {
      return entityDefaults;
    }
    Config merged = supervision.getConfig(path).withFallback(supervision.getConfig("entity"));
    return EntityPolicy.create(merged);
  }
}
