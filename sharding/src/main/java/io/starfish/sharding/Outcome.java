package io.starfish.sharding;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a command handler decided: persist events (and reply), or refuse. Returned by {@link
 * CommandHandler}; Starfish persists, applies the events, and answers the caller.
 *
 * @param <E> the entity's event type
 */
public sealed interface Outcome<E> {

  /** Persist these events in order, then reply. No events means "accepted, nothing changed". */
  @SafeVarargs
  static <E> Persist<E> persist(E... events) {
    List<E> list = new ArrayList<>(events.length);
    for (E event : events) {
      list.add(event);
    }
    return new Persist<>(list, null);
  }

  static <E> Persist<E> persist(List<E> events) {
    return new Persist<>(List.copyOf(events), null);
  }

  /**
   * Accept the command without changing anything. A {@link Persist}, so a reply or a timer can be
   * added: {@code Outcome.none().andSchedule(...)}.
   */
  static <E> Persist<E> none() {
    return new Persist<>(List.of(), null);
  }

  /**
   * Accept {@code command} without changing anything, and answer with {@code reply}, of the type
   * the command declares ({@link ExpectsReply}): a query's answer, checked by the compiler.
   */
  static <E, R> Persist<E> reply(ExpectsReply<R> command, R reply) {
    Objects.requireNonNull(command, "command");
    return new Persist<>(List.of(), Objects.requireNonNull(reply, "reply"));
  }

  /**
   * Persist these events in order, then answer {@code command} with {@code reply}, of the type the
   * command declares ({@link ExpectsReply}). The event type is inferred from where the outcome is
   * returned: no type witness.
   */
  @SafeVarargs
  static <E, R> Persist<E> persistWithReply(ExpectsReply<R> command, R reply, E... events) {
    Objects.requireNonNull(command, "command");
    List<E> list = new ArrayList<>(events.length);
    for (E event : events) {
      list.add(event);
    }
    return new Persist<>(list, Objects.requireNonNull(reply, "reply"));
  }

  /**
   * Persist these events in order, then answer with {@code reply} (a JSON-serializable record)
   * instead of the default list of events. Untyped: prefer {@link #persistWithReply(ExpectsReply,
   * Object, Object[])} for a command that declares its reply. The event type is inferred from where
   * the outcome is returned, so {@code return Outcome.persistWithReply(new Value(7), new
   * Incremented(3));} needs no type witness.
   */
  @SafeVarargs
  static <E> Outcome<E> persistWithReply(Object reply, E... events) {
    List<E> list = new ArrayList<>(events.length);
    for (E event : events) {
      list.add(event);
    }
    return new Persist<>(list, Objects.requireNonNull(reply, "reply"));
  }

  /**
   * Accept the command without changing anything, and answer with {@code reply}. Untyped: prefer
   * {@link #reply(ExpectsReply, Object)} for a command that declares its reply.
   */
  static <E> Outcome<E> reply(Object reply) {
    return new Persist<>(List.of(), Objects.requireNonNull(reply, "reply"));
  }

  /** A domain rule refuses the command (HTTP 409). */
  static <E> Outcome<E> reject(String reason) {
    return new Reject<>(reason);
  }

  /** The command has an invalid field (HTTP 400), e.g. a non-positive amount. */
  static <E> Outcome<E> invalid(String reason) {
    return new Invalid<>(reason);
  }

  /**
   * Events to persist and an optional reply.
   *
   * @param events the events, in order
   * @param reply a JSON-serializable reply (a record); when null, the reply lists the events
   */
  record Persist<E>(List<E> events, Object reply, List<TimerRequest> timers) implements Outcome<E> {
    public Persist {
      events = List.copyOf(events);
      timers = List.copyOf(timers);
    }

    public Persist(List<E> events, Object reply) {
      this(events, reply, List.of());
    }

    /** The same events with this reply instead of the default list of events. */
    public Persist<E> withReply(Object newReply) {
      return new Persist<>(events, Objects.requireNonNull(newReply, "reply"), timers);
    }

    /**
     * The same outcome, also scheduling {@code command} (one of the entity's own command records,
     * usually a {@link TimerOnly} one) to be delivered to the entity {@code delay} from now. The
     * timer is persisted with the events; it fires even if the entity is passivated or its node
     * crashes meanwhile, at least once, and its command is applied exactly once. A pending timer
     * with the same id is replaced.
     *
     * <p>Typed for where the outcome is returned, so {@code return
     * Outcome.persist(held).andSchedule("expiry", ttl, new Expire());} needs no type witness.
     */
    public <F> Persist<F> andSchedule(String timerId, Duration delay, Object command) {
      return with(new TimerRequest.Schedule(timerId, null, delay, command));
    }

    /** As {@link #andSchedule}, due at {@code dueAt} (a time already past: due at once). */
    public <F> Persist<F> andScheduleAt(String timerId, Instant dueAt, Object command) {
      return with(new TimerRequest.Schedule(timerId, dueAt, null, command));
    }

    /** The same outcome, also cancelling the pending timer {@code timerId}, if there is one. */
    public <F> Persist<F> andCancel(String timerId) {
      return with(new TimerRequest.Cancel(timerId));
    }

    // The events are the handler's own; F is the event type the handler returns, of which they
    // are instances (a handler's events all implement its event interface).
    @SuppressWarnings("unchecked")
    private <F> Persist<F> with(TimerRequest request) {
      List<TimerRequest> more = new ArrayList<>(timers);
      more.add(request);
      return new Persist<>((List<F>) (List<?>) events, reply, more);
    }
  }

  record Reject<E>(String reason) implements Outcome<E> {
    public Reject {
      Objects.requireNonNull(reason, "reason");
    }
  }

  record Invalid<E>(String reason) implements Outcome<E> {
    public Invalid {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
