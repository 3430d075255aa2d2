package io.starfish.supervision.internal;

import io.starfish.supervision.EntityPolicy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one entity remembers about its failures across restarts: how often each recent command
 * failed it in a row, and which commands are quarantined until when. Bounded by the policy's
 * capacity (least recently used entries go first). Used from the entity's actor only.
 */
public final class FailureMemory {

  private final EntityPolicy policy;
  // Created on first use: most entities never fail, and every entity has one of these (two empty
  // maps were 176 bytes of each idle entity's heap, docs/benchmarks.md §10.4).
  private Map<Object, Failing> failingCommands;
  private Map<Object, Long> quarantinedUntilNanos;

  Throwable lastFailure;

  /** Set by the recorder when the entity failed more than max-restarts times in a row. */
  boolean giveUpNow;

  private int failuresInARow;
  private long lastFailureNanos;

  public FailureMemory(EntityPolicy policy) {
    this.policy = policy;
  }

  private static <V> Map<Object, V> bounded(int capacity) {
    return new LeastRecentlyUsed<>(capacity);
  }

  /** A map that forgets its least recently used entry beyond {@code capacity}. */
  private static final class LeastRecentlyUsed<V> extends LinkedHashMap<Object, V> {
    private static final long serialVersionUID = 1L;
    private final int capacity;

    LeastRecentlyUsed(int capacity) {
      super(16, 0.75f, true);
      this.capacity = capacity;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<Object, V> eldest) {
      return size() > capacity;
    }
  }

  /**
   * Counts a failure of the entity's own (not of a dependency such as the journal); returns whether
   * it has now failed more than max-restarts times without reset-after in between.
   */
  boolean countFailureAndCheckLimit(long nowNanos) {
    if (failuresInARow > 0 && nowNanos - lastFailureNanos > policy.resetAfter().toNanos()) {
      failuresInARow = 0;
    }
    failuresInARow++;
    lastFailureNanos = nowNanos;
    return failuresInARow > policy.maxRestarts();
  }

  int failuresInARow() {
    return failuresInARow;
  }

  /**
   * Records that {@code command} failed the entity; returns how often it has failed it with less
   * than reset-after between one failure and the next. (Successes cannot be told apart reliably: an
   * event-sourced entity stashes commands and runs them later, so time is what resets.)
   */
  int recordFailure(Object command, long nowNanos) {
    if (failingCommands == null) {
      failingCommands = bounded(policy.quarantineCapacity());
    }
    Failing previous = failingCommands.get(command);
    int count =
        previous != null && nowNanos - previous.lastNanos() <= policy.resetAfter().toNanos()
            ? previous.count() + 1
            : 1;
    failingCommands.put(command, new Failing(count, nowNanos));
    return count;
  }

  private record Failing(int count, long lastNanos) {}

  void quarantine(Object command, long nowNanos) {
    if (failingCommands != null) {
      failingCommands.remove(command);
    }
    if (quarantinedUntilNanos == null) {
      quarantinedUntilNanos = bounded(policy.quarantineCapacity());
    }
    quarantinedUntilNanos.put(command, nowNanos + policy.quarantineFor().toNanos());
  }

  boolean isQuarantined(Object command, long nowNanos) {
    Long until = quarantinedUntilNanos == null ? null : quarantinedUntilNanos.get(command);
    if (until == null) {
      return false;
    }
    if (nowNanos - until >= 0) {
      quarantinedUntilNanos.remove(command);
      return false;
    }
    return true;
  }

  EntityPolicy policy() {
    return policy;
  }
}
