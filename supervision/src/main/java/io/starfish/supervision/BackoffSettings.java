package io.starfish.supervision;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Restart-with-backoff parameters of one entity type.
 *
 * @param minBackoff delay before the first restart
 * @param maxBackoff upper bound of the exponentially growing delay
 * @param randomFactor jitter added to each delay, as a fraction of it
 */
public record BackoffSettings(Duration minBackoff, Duration maxBackoff, double randomFactor) {

  public BackoffSettings {
    if (minBackoff.isNegative() || minBackoff.isZero()) {
      throw new IllegalArgumentException("min-backoff must be > 0, was " + minBackoff);
    }
    if (maxBackoff.compareTo(minBackoff) < 0) {
      throw new IllegalArgumentException(
          "max-backoff (" + maxBackoff + ") must be >= min-backoff (" + minBackoff + ")");
    }
    if (randomFactor < 0 || randomFactor > 1) {
      throw new IllegalArgumentException("random-factor must be in [0, 1], was " + randomFactor);
    }
  }

  /**
   * Reads a block with the keys {@code min-backoff}, {@code max-backoff}, {@code random-factor}.
   */
  public static BackoffSettings create(Config config) {
    return new BackoffSettings(
        config.getDuration("min-backoff"),
        config.getDuration("max-backoff"),
        config.getDouble("random-factor"));
  }
}
