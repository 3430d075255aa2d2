package io.starfish.sharding;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Typed view of {@code starfish.sharding} (see this module's reference.conf).
 *
 * @param passivateIdleAfter how long an entity may be idle before it is passivated; empty: never
 * @param minorityGuard whether entities refuse commands while their node is cut off from the
 *     majority
 * @param entityDispatcher config path of the dispatcher entity actors run on
 * @param settleNewRegionsFor how long a new shard region gets no shards while a settled one can
 * @param groupCommitMaxBatch the most commands a declared entity writes in one group commit; 1:
 *     none (one write per command)
 * @param groupCommitMaxWaiting the most commands waiting for an entity's write in progress (Pekko's
 *     {@code pekko.persistence.typed.stash-capacity}); more are answered unavailable
 */
public record ShardingSettings(
    Optional<Duration> passivateIdleAfter,
    boolean minorityGuard,
    String entityDispatcher,
    Duration settleNewRegionsFor,
    int groupCommitMaxBatch,
    int groupCommitMaxWaiting) {

  /** Settings as before {@code settle-new-regions-for}: new regions take shards at once. */
  public ShardingSettings(
      Optional<Duration> passivateIdleAfter, boolean minorityGuard, String entityDispatcher) {
    this(passivateIdleAfter, minorityGuard, entityDispatcher, Duration.ZERO);
  }

  /** Settings with the default group commit. */
  public ShardingSettings(
      Optional<Duration> passivateIdleAfter,
      boolean minorityGuard,
      String entityDispatcher,
      Duration settleNewRegionsFor) {
    this(passivateIdleAfter, minorityGuard, entityDispatcher, settleNewRegionsFor, 64, 4096);
  }

  /** Whether declared entities write the commands that queue up behind a write together. */
  public boolean groupCommit() {
    return groupCommitMaxBatch > 1;
  }

  public static ShardingSettings create(ActorSystem<?> system) {
    return create(system.settings().config());
  }

  public static ShardingSettings create(Config config) {
    Config c = config.getConfig("starfish.sharding");
    String idle = c.getString("passivate-idle-after");
    Optional<Duration> passivateIdleAfter =
        idle.equalsIgnoreCase("off") || idle.equalsIgnoreCase("none")
            ? Optional.empty()
            : Optional.of(c.getDuration("passivate-idle-after"));
    if (passivateIdleAfter.isPresent()
        && (passivateIdleAfter.get().isZero() || passivateIdleAfter.get().isNegative())) {
      throw new IllegalArgumentException(
          "starfish.sharding.passivate-idle-after must be positive or off, was " + idle);
    }
    Duration settle = c.getDuration("settle-new-regions-for");
    if (settle.isNegative()) {
      throw new IllegalArgumentException(
          "starfish.sharding.settle-new-regions-for must be >= 0, was " + settle);
    }
    int maxBatch = c.getInt("group-commit-max-batch");
    if (maxBatch < 1) {
      throw new IllegalArgumentException(
          "starfish.sharding.group-commit-max-batch must be >= 1, was " + maxBatch);
    }
    return new ShardingSettings(
        passivateIdleAfter,
        c.getBoolean("minority-guard"),
        c.getString("entity-dispatcher"),
        settle,
        maxBatch,
        config.getInt("pekko.persistence.typed.stash-capacity"));
  }

  /**
   * A saga waiting to send a step again receives no message for up to step-timeout +
   * retry-max-backoff; if idle passivation came first, it would stop the saga and remember-entities
   * would forget it, so that it resumed only on its next message.
   */
  void requireSagasOutliveTheirWaits(EntityRegistry registry, SagaSettings sagas) {
    boolean anySaga = registry.all().stream().anyMatch(type -> type instanceof SagaType);
    if (anySaga
        && passivateIdleAfter.isPresent()
        && passivateIdleAfter.get().compareTo(sagas.longestQuietPeriod().multipliedBy(2)) < 0) {
      throw new IllegalArgumentException(
          "starfish.sharding.passivate-idle-after ("
              + passivateIdleAfter.get()
              + ") must be at least twice starfish.sharding.saga.step-timeout +"
              + " retry-max-backoff ("
              + sagas.longestQuietPeriod()
              + "), or a waiting saga could be passivated mid-way");
    }
  }
}
