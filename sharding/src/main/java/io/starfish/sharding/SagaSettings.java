package io.starfish.sharding;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Typed view of {@code starfish.sharding.saga} (see this module's reference.conf).
 *
 * @param stepTimeout how long a saga waits for the answer to one step before sending it again
 * @param retryMinBackoff the first wait before a step is sent again after a transient failure
 * @param retryMaxBackoff the longest such wait (the wait doubles up to it)
 * @param passivateFinishedAfter how long a saga with no step left stays running without a message
 *     before it is passivated (and so forgotten by remember-entities); empty: only the ordinary
 *     idle passivation applies
 */
public record SagaSettings(
    Duration stepTimeout,
    Duration retryMinBackoff,
    Duration retryMaxBackoff,
    java.util.Optional<Duration> passivateFinishedAfter) {

  public SagaSettings {
    if (stepTimeout.isNegative() || stepTimeout.isZero()) {
      throw new IllegalArgumentException(
          "starfish.sharding.saga.step-timeout must be positive, was " + stepTimeout);
    }
    if (retryMinBackoff.isNegative()
        || retryMinBackoff.isZero()
        || retryMaxBackoff.compareTo(retryMinBackoff) < 0) {
      throw new IllegalArgumentException(
          "starfish.sharding.saga: need 0 < retry-min-backoff <= retry-max-backoff, was "
              + retryMinBackoff
              + " and "
              + retryMaxBackoff);
    }
    if (passivateFinishedAfter.isPresent()
        && (passivateFinishedAfter.get().isNegative() || passivateFinishedAfter.get().isZero())) {
      throw new IllegalArgumentException(
          "starfish.sharding.saga.passivate-finished-after must be positive or off, was "
              + passivateFinishedAfter.get());
    }
  }

  /** Settings with finished sagas left to the ordinary idle passivation. */
  public SagaSettings(Duration stepTimeout, Duration retryMinBackoff, Duration retryMaxBackoff) {
    this(stepTimeout, retryMinBackoff, retryMaxBackoff, java.util.Optional.empty());
  }

  public static SagaSettings create(ActorSystem<?> system) {
    return create(system.settings().config());
  }

  public static SagaSettings create(Config config) {
    Config c = config.getConfig("starfish.sharding.saga");
    return new SagaSettings(
        c.getDuration("step-timeout"),
        c.getDuration("retry-min-backoff"),
        c.getDuration("retry-max-backoff"),
        c.getString("passivate-finished-after").equals("off")
            ? java.util.Optional.empty()
            : java.util.Optional.of(c.getDuration("passivate-finished-after")));
  }

  /** The wait before attempt {@code attempt} (1 = the first retry): doubling, capped. */
  public Duration backoff(int attempt) {
    long millis = retryMinBackoff.toMillis();
    for (int i = 1; i < attempt && millis < retryMaxBackoff.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, retryMaxBackoff.toMillis()));
  }

  /**
   * The longest a waiting saga goes without a message: a step's timeout plus the longest backoff.
   * Idle-entity passivation must be longer, or it would stop (and forget) a saga mid-way.
   */
  public Duration longestQuietPeriod() {
    return stepTimeout.plus(retryMaxBackoff);
  }
}
