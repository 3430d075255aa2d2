package io.starfish.sharding.internal;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.starfish.persistence.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The state Starfish keeps for a declared entity: the developer's state plus the idempotency keys
 * the entity remembers. This is what snapshots hold.
 *
 * @param domain the developer's state
 * @param markers how many {@link KeyRecorded} events the journal holds for this entity; the
 *     entity's version (events applied) is its sequence number minus this
 * @param keys the remembered idempotency keys, oldest first
 * @param deletedAtVersion the entity's version when it was deleted ({@link EntityDeleted}); null
 *     while it is not (and in snapshots written before deletion existed)
 * @param timers its durable timers that have not fired yet
 * @param timerSeq the sequence of the last timer scheduled (a timer's {@code seq} is unique)
 * @param <S> the developer's state type
 */
public record EntityState<S>(
    @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS, property = "@class") S domain,
    long markers,
    List<KeyRecorded> keys,
    Long deletedAtVersion,
    List<PendingTimer> timers,
    long timerSeq)
    implements CborSerializable {

  public EntityState {
    Objects.requireNonNull(domain, "domain");
    keys = keys == null ? List.of() : List.copyOf(keys);
    timers = timers == null ? List.of() : List.copyOf(timers);
  }

  /** A state without timers. */
  public EntityState(S domain, long markers, List<KeyRecorded> keys, Long deletedAtVersion) {
    this(domain, markers, keys, deletedAtVersion, List.of(), 0);
  }

  /** A state that is not deleted. */
  public EntityState(S domain, long markers, List<KeyRecorded> keys) {
    this(domain, markers, keys, null);
  }

  /** Whether the entity was deleted. */
  public boolean deleted() {
    return deletedAtVersion != null;
  }

  /**
   * The tombstone: the state after {@link EntityDeleted}. The developer's state is kept (snapshots
   * need one); the keys are dropped, since no command is ever applied again.
   */
  EntityState<S> asDeleted(EntityDeleted deleted) {
    return new EntityState<>(
        domain, markers + 1, List.of(), deleted.version(), List.of(), timerSeq);
  }

  /** A fresh entity, or one whose snapshot predates idempotency keys. */
  public static <S> EntityState<S> of(S domain) {
    return new EntityState<>(domain, 0, List.of());
  }

  EntityState<S> withDomain(S newDomain) {
    return new EntityState<>(newDomain, markers, keys, deletedAtVersion, timers, timerSeq);
  }

  /** The state after a timer marker: the pending timers changed, the version did not. */
  EntityState<S> withTimerMarker(CborSerializable marker) {
    List<PendingTimer> pending = new ArrayList<>(timers);
    long seq = timerSeq;
    if (marker instanceof TimerScheduled scheduled) {
      pending.removeIf(t -> t.timerId().equals(scheduled.timer().timerId()));
      pending.add(scheduled.timer());
      seq = Math.max(seq, scheduled.timer().seq());
    } else if (marker instanceof TimerCancelled cancelled) {
      pending.removeIf(t -> t.timerId().equals(cancelled.timerId()) && t.seq() == cancelled.seq());
    } else if (marker instanceof TimerFired fired) {
      pending.removeIf(t -> t.timerId().equals(fired.timerId()) && t.seq() == fired.seq());
    } else {
      throw new IllegalArgumentException("not a timer marker: " + marker);
    }
    return new EntityState<>(domain, markers + 1, keys, deletedAtVersion, pending, seq);
  }

  /** The pending timer with this id, if any. */
  Optional<PendingTimer> timer(String timerId) {
    return timers.stream().filter(t -> t.timerId().equals(timerId)).findFirst();
  }

  /**
   * The state after {@code recorded}: the key is remembered; keys older than {@code retention}
   * (measured from the new record's time, so that replaying the journal gives the same result) and
   * the oldest beyond {@code maxKeys} are forgotten.
   */
  EntityState<S> withKey(KeyRecorded recorded, int maxKeys, Duration retention) {
    long oldestKept = recorded.recordedAtMillis() - retention.toMillis();
    List<KeyRecorded> kept = new ArrayList<>(keys.size() + 1);
    for (KeyRecorded existing : keys) {
      if (existing.recordedAtMillis() >= oldestKept && !existing.key().equals(recorded.key())) {
        kept.add(existing);
      }
    }
    kept.add(recorded);
    int excess = kept.size() - maxKeys;
    List<KeyRecorded> bounded = excess > 0 ? kept.subList(excess, kept.size()) : kept;
    return new EntityState<>(domain, markers + 1, bounded, deletedAtVersion, timers, timerSeq);
  }

  /** The record of {@code key}, if it is remembered and younger than {@code retention}. */
  Optional<KeyRecorded> find(String key, long nowMillis, Duration retention) {
    for (KeyRecorded recorded : keys) {
      if (recorded.key().equals(key)
          && nowMillis - recorded.recordedAtMillis() <= retention.toMillis()) {
        return Optional.of(recorded);
      }
    }
    return Optional.empty();
  }
}
