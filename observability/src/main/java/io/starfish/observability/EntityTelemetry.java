package io.starfish.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What entities report about themselves on this node: command and persist latencies, recoveries
 * (how long each took, and when each entity last recovered: the healing timeline uses that to tell
 * when the entities of a failed node are back), and the shards and entities running here. Meters
 * are cached per entity type so that the hot path does no registry lookups.
 */
public final class EntityTelemetry implements Extension {

  private static final ExtensionId<EntityTelemetry> ID =
      new ExtensionId<>() {
        @Override
        public EntityTelemetry createExtension(ActorSystem<?> system) {
          return new EntityTelemetry(StarfishMetrics.get(system));
        }
      };

  private final StarfishMetrics metrics;
  private final Map<String, Timer> commandTimers = new ConcurrentHashMap<>();
  private final Map<String, Timer> persistTimers = new ConcurrentHashMap<>();
  private final Map<String, Timer> recoveryTimers = new ConcurrentHashMap<>();
  private final Map<String, Counter> crashes = new ConcurrentHashMap<>();

  /** "{type}|{id}" to the System.nanoTime() of that entity's last completed recovery. */
  private final Map<String, Long> lastRecovery = new ConcurrentHashMap<>();

  /** Recoveries older than this are forgotten even if nobody asks (the timeline needs minutes). */
  private static final long RECOVERY_MEMORY_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final AtomicLong recoveriesSincePrune = new AtomicLong();

  /** Per entity type: shards hosted and entities running on this node (the healing observer's). */
  private final Map<String, Integer> activeShards = new ConcurrentHashMap<>();

  private final Map<String, Integer> activeEntities = new ConcurrentHashMap<>();

  EntityTelemetry(StarfishMetrics metrics) {
    this.metrics = metrics;
  }

  public static EntityTelemetry get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** A command's round trip through sharding, by its outcome (accepted, rejected, ...). */
  public void command(String type, String outcome, long nanos) {
    commandTimers
        .computeIfAbsent(
            type + "|" + outcome,
            key ->
                metrics.latency(
                    "starfish.entity.commands",
                    "Commands sent to entities from this node, by entity type and outcome, from the"
                        + " ask to the answer",
                    "type",
                    type,
                    "outcome",
                    outcome))
        .record(Duration.ofNanos(nanos));
  }

  /**
   * The time from an entity's decision to persist until its events were written (one write: a
   * command's events, or those of a group of commands written together).
   */
  public void persisted(String type, long nanos) {
    persistTimers
        .computeIfAbsent(
            type,
            key ->
                metrics.latency(
                    "starfish.entity.persist",
                    "Journal writes of entities on this node (one per command that persists, or"
                        + " per group of commands written together), from the persist effect to"
                        + " the write's completion",
                    "type",
                    type))
        .record(Duration.ofNanos(nanos));
  }

  /** An entity finished recovering its state from the journal (snapshot + replay). */
  public void recovered(String type, String id, long nanos) {
    recoveryTimers
        .computeIfAbsent(
            type,
            key ->
                metrics.latency(
                    "starfish.entity.recovery",
                    "Entity recoveries on this node (start, restart or failover), from the"
                        + " entity's start to its recovery completing",
                    "type",
                    type))
        .record(Duration.ofNanos(nanos));
    long now = System.nanoTime();
    lastRecovery.put(type + "|" + id, now);
    // bounded also where no healing observer runs (sharding used on its own)
    if (recoveriesSincePrune.incrementAndGet() >= 1_000) {
      recoveriesSincePrune.set(0);
      forgetRecoveriesBefore(now - RECOVERY_MEMORY_NANOS);
    }
  }

  /**
   * Registers the gauges starfish_shards_active and starfish_entities_active of these types (once;
   * they read values kept here, so they outlive a restart of whoever sets them).
   */
  public void registerActiveGauges(Iterable<String> types) {
    for (String type : types) {
      if (activeShards.putIfAbsent(type, 0) == null) {
        activeEntities.putIfAbsent(type, 0);
        Gauge.builder("starfish.shards.active", activeShards, gauge -> gauge.getOrDefault(type, 0))
            .description("Shards hosted by this node, per entity type")
            .tag("type", type)
            .strongReference(true)
            .register(metrics.registry());
        Gauge.builder(
                "starfish.entities.active", activeEntities, gauge -> gauge.getOrDefault(type, 0))
            .description("Entities running on this node, per entity type")
            .tag("type", type)
            .strongReference(true)
            .register(metrics.registry());
      }
    }
  }

  /** What this node's shard regions reported last, for the gauges. */
  public void active(String type, int shards, int entities) {
    activeShards.put(type, shards);
    activeEntities.put(type, entities);
  }

  /** An operator asked this entity to crash (admin API), to exercise supervision. */
  public void crashRequested(String type) {
    crashes
        .computeIfAbsent(
            type,
            key ->
                Counter.builder("starfish.entity.crash.requests")
                    .description("Crashes of entities requested through the admin API")
                    .tag("type", type)
                    .register(metrics.registry()))
        .increment();
  }

  /**
   * When the entity last completed a recovery on this node, as System.nanoTime(); empty if it did
   * not recently.
   */
  public OptionalLong lastRecovery(String type, String id) {
    Long at = lastRecovery.get(type + "|" + id);
    return at == null ? OptionalLong.empty() : OptionalLong.of(at);
  }

  /** Forgets recoveries before {@code nanoTime} (the timeline no longer needs them). */
  public void forgetRecoveriesBefore(long nanoTime) {
    lastRecovery.values().removeIf(at -> at - nanoTime < 0);
  }
}
