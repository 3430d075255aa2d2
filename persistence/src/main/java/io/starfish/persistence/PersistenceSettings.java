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
 * @param circuitProbeInterval how often an open journal circuit probes Cassandra
 * @param idempotencyMaxKeys how many idempotency keys each entity remembers (the newest)
 * @param idempotencyRetention how long an entity remembers an idempotency key
 */
public record PersistenceSettings(
    int snapshotEvery,
    int keepSnapshots,
    Duration healthCheckTimeout,
    Duration circuitProbeInterval,
    int idempotencyMaxKeys,
    Duration idempotencyRetention) {

  public PersistenceSettings {
    if (snapshotEvery < 0) {
      throw new IllegalArgumentException("snapshot-every must be >= 0, was " + snapshotEvery);
    }
    if (keepSnapshots < 1) {
      throw new IllegalArgumentException("keep-snapshots must be >= 1, was " + keepSnapshots);
    }
    if (circuitProbeInterval.isNegative() || circuitProbeInterval.isZero()) {
      throw new IllegalArgumentException(
          "circuit.probe-interval must be > 0, was " + circuitProbeInterval);
    }
    if (idempotencyMaxKeys < 1) {
      throw new IllegalArgumentException(
          "idempotency.max-keys-per-entity must be >= 1, was " + idempotencyMaxKeys);
    }
    if (idempotencyRetention.isNegative() || idempotencyRetention.isZero()) {
      throw new IllegalArgumentException(
          "idempotency.retention must be > 0, was " + idempotencyRetention);
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
        c.getDuration("health-check-timeout"),
        c.getDuration("circuit.probe-interval"),
        c.getInt("idempotency.max-keys-per-entity"),
        c.getDuration("idempotency.retention"));
  }
}
