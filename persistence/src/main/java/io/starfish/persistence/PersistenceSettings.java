package io.starfish.persistence;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Typed view of {@code starfish.persistence} (see this module's reference.conf).
 *
 * @param snapshotEvery snapshot after every N events; 0 disables snapshots
 * @param keepSnapshots how many snapshots to keep per entity
 * @param healthCheckTimeout how long the journal health check waits for Cassandra
 */
public record PersistenceSettings(
    int snapshotEvery, int keepSnapshots, Duration healthCheckTimeout) {

  public PersistenceSettings {
    if (snapshotEvery < 0) {
      throw new IllegalArgumentException("snapshot-every must be >= 0, was " + snapshotEvery);
    }
    if (keepSnapshots < 1) {
      throw new IllegalArgumentException("keep-snapshots must be >= 1, was " + keepSnapshots);
    }
  }

  public static PersistenceSettings create(ActorSystem<?> system) {
    return create(system.settings().config());
  }

  public static PersistenceSettings create(Config config) {
    Config c = config.getConfig("starfish.persistence");
    return new PersistenceSettings(
        c.getInt("snapshot-every"),
        c.getInt("keep-snapshots"),
        c.getDuration("health-check-timeout"));
  }
}
