package io.starfish.supervision;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How Starfish supervises the entities of one type: restart with exponential backoff, give up after
 * too many failures in a row, and quarantine a command that keeps failing.
 *
 * @param backoff delays between restarts
 * @param maxRestarts restarts in a row (without a quiet {@code resetAfter} between them) after
 *     which the entity is stopped and passivated instead of restarted again
 * @param resetAfter an entity that has run this long without failing starts counting afresh
 * @param quarantineAfter a command that has failed the entity this many times in a row is
 *     quarantined: refused without reaching the entity
 * @param quarantineFor how long a command stays quarantined
 * @param quarantineCapacity how many quarantined and failing commands one entity remembers
 */
public record EntityPolicy(
    BackoffSettings backoff,
    int maxRestarts,
    Duration resetAfter,
    int quarantineAfter,
    Duration quarantineFor,
    int quarantineCapacity) {

  public EntityPolicy {
    if (maxRestarts < 1) {
      throw new IllegalArgumentException("max-restarts must be >= 1, was " + maxRestarts);
    }
    if (resetAfter.isNegative() || resetAfter.isZero()) {
      throw new IllegalArgumentException("reset-after must be > 0, was " + resetAfter);
    }
    if (quarantineAfter < 1) {
      throw new IllegalArgumentException("quarantine-after must be >= 1, was " + quarantineAfter);
    }
    if (quarantineFor.isNegative() || quarantineFor.isZero()) {
      throw new IllegalArgumentException("quarantine-for must be > 0, was " + quarantineFor);
    }
    if (quarantineCapacity < 1) {
      throw new IllegalArgumentException(
          "quarantine-capacity must be >= 1, was " + quarantineCapacity);
    }
  }

  /** Reads a block with the keys of {@code starfish.supervision.entity}. */
  public static EntityPolicy create(Config config) {
    return new EntityPolicy(
        BackoffSettings.create(config),
        config.getInt("max-restarts"),
        config.getDuration("reset-after"),
        config.getInt("quarantine-after"),
        config.getDuration("quarantine-for"),
        config.getInt("quarantine-capacity"));
  }
}
