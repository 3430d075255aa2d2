package io.starfish.supervision;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What went wrong on this node since it started, per entity type: failures and restarts,
 * quarantined commands, persist (journal) failures, entities given up on, and commands refused
 * because a circuit breaker was open; plus the breakers open right now. One instance per actor
 * system; thread-safe; read by readiness, metrics and the dashboard.
 */
public final class FailureStatistics implements Extension {

  /** Counters of one entity type. All are totals since the node started. */
  public record EntityTypeFailures(
      long failures,
      long restarts,
      long quarantinedCommands,
      long persistFailures,
      long givenUp,
      long breakerRejections) {}

  private static final ExtensionId<FailureStatistics> ID =
      new ExtensionId<>() {
        @Override
        public FailureStatistics createExtension(ActorSystem<?> system) {
          return new FailureStatistics();
        }
      };

  private final Map<String, Counters> byType = new ConcurrentHashMap<>();
  private final Set<String> openBreakers = ConcurrentHashMap.newKeySet();

  /** Public for tests that need a fresh, unshared instance. */
  public FailureStatistics() {}

  public static FailureStatistics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private Counters of(String entityType) {
    return byType.computeIfAbsent(entityType, type -> new Counters());
  }

  /** An entity of this type threw (in a command handler, or because its journal failed). */
  public void failure(String entityType) {
    of(entityType).failures.increment();
  }

  /** An entity of this type was given up on after too many restarts in a row. */
  public void givenUp(String entityType) {
    of(entityType).givenUp.increment();
  }

  /** A command was refused because it is quarantined (including the one that triggered it). */
  public void quarantined(String entityType) {
    of(entityType).quarantined.increment();
  }

  /** A journal write or read of an entity of this type failed. */
  public void persistFailure(String entityType) {
    of(entityType).persistFailures.increment();
  }

  /** A command for this type was refused at once because a circuit breaker was open. */
  public void breakerRejection(String entityType) {
    of(entityType).breakerRejections.increment();
  }

  /** A circuit breaker (e.g. "journal") opened. */
  public void breakerOpened(String breaker) {
    openBreakers.add(breaker);
  }

  /** A circuit breaker closed again. */
  public void breakerClosed(String breaker) {
    openBreakers.remove(breaker);
  }

  /** The circuit breakers open right now, by name. */
  public Set<String> openBreakers() {
    return new TreeSet<>(openBreakers);
  }

  /** A consistent-enough copy of every counter, by entity type name. */
  public Map<String, EntityTypeFailures> byEntityType() {
    Map<String, EntityTypeFailures> copy = new TreeMap<>();
    byType.forEach((type, counters) -> copy.put(type, counters.snapshot()));
    return copy;
  }

  /** The counters of one type (all zero if nothing happened to it). */
  public EntityTypeFailures forEntityType(String entityType) {
    Counters counters = byType.get(entityType);
    return counters == null ? new EntityTypeFailures(0, 0, 0, 0, 0, 0) : counters.snapshot();
  }

  private static final class Counters {
    final LongAdder failures = new LongAdder();
    final LongAdder quarantined = new LongAdder();
    final LongAdder persistFailures = new LongAdder();
    final LongAdder givenUp = new LongAdder();
    final LongAdder breakerRejections = new LongAdder();

    EntityTypeFailures snapshot() {
      long failed = failures.sum();
      long gaveUp = givenUp.sum();
      return new EntityTypeFailures(
          failed,
          Math.max(0, failed - gaveUp),
          quarantined.sum(),
          persistFailures.sum(),
          gaveUp,
          breakerRejections.sum());
    }
  }
}
