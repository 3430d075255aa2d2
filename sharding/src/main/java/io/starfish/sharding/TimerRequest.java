package io.starfish.sharding;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A change to an entity's durable timers, asked for by a command handler with its events ({@link
 * Outcome.Persist#andSchedule}, {@link Outcome.Persist#andCancel}). Timers are persisted with the
 * events, fire after passivation, crashes and restarts, and each firing is applied exactly once.
 */
public sealed interface TimerRequest {

  /** The id of the timer, unique among the entity's pending timers. */
  String timerId();

  /**
   * Deliver {@code command} (one of the entity's own command records) to the entity at {@code
   * dueAt}, or {@code delay} after the command that scheduled it was decided (one of the two is
   * set). Scheduling an id that is pending replaces that timer.
   */
  record Schedule(String timerId, Instant dueAt, Duration delay, Object command)
      implements TimerRequest {
    public Schedule {
      requireValidId(timerId);
      Objects.requireNonNull(command, "command");
      if ((dueAt == null) == (delay == null)) {
        throw new IllegalArgumentException("a timer has either a due time or a delay");
      }
      if (delay != null && delay.isNegative()) {
        throw new IllegalArgumentException("a timer's delay must not be negative, was " + delay);
      }
    }

    /** When it is due, for a command decided at {@code nowMillis}. */
    public long dueAtMillis(long nowMillis) {
      return dueAt != null ? dueAt.toEpochMilli() : nowMillis + delay.toMillis();
    }
  }

  /** Cancel the pending timer with this id; nothing happens when there is none. */
  record Cancel(String timerId) implements TimerRequest {
    public Cancel {
      requireValidId(timerId);
    }
  }

  /**
   * @throws IllegalArgumentException unless {@code id} is 1 to 64 of letters, digits, {@code ._:-}
   */
  static String requireValidId(String id) {
    if (id == null || !Ids.VALID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "timer id must match " + Ids.VALID.pattern() + ", was " + id);
    }
    return id;
  }

  /** Holder of the id pattern (interfaces cannot have private constants). */
  final class Ids {
    static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    private Ids() {}
  }
}
