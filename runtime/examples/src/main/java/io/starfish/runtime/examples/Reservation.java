package io.starfish.runtime.examples;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.CommandContext;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.sharding.TimerOnly;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A hold on seats that expires by itself unless confirmed in time: a durable timer. Contract:
 * docs/entities/reservation.md.
 *
 * <p>The hold schedules {@link Expire} for its expiry; the timer is persisted with the hold, so it
 * fires after passivation, a crash of the node or a restart of the whole cluster, and its command
 * is applied once. A confirmation cancels it.
 */
public final class Reservation {

  private Reservation() {}

  public static final EntityType<Command, Event, State> TYPE =
      EntityType.of(
          "reservation",
          Command.class,
          Event.class,
          State.NONE,
          Reservation::onCommand,
          Reservation::onEvent);

  private static final String EXPIRY = "expiry";

  // Commands: {"type":"hold","seats":2,"expiresInSeconds":600}, {"type":"confirm"}.
  public sealed interface Command permits Hold, Confirm, Expire {}

  public record Hold(int seats, long expiresInSeconds) implements Command {}

  public record Confirm() implements Command {}

  /** Sent by the hold's timer only: a client's {"type":"expire"} is refused (400). */
  @TimerOnly
  public record Expire() implements Command {}

  public sealed interface Event extends CborSerializable permits Held, Confirmed, Expired {}

  public record Held(int seats, String expiresAt) implements Event {}

  public record Confirmed() implements Event {}

  public record Expired() implements Event {}

  /** {@code status}: none, held, confirmed or expired. */
  public record State(String status, int seats, String expiresAt) implements CborSerializable {
    public static final State NONE = new State("none", 0, null);
  }

  static Outcome<Event> onCommand(CommandContext context, State state, Command command) {
    if (command instanceof Hold hold) {
      if (!state.status().equals("none")) {
        return Outcome.reject("reservation is " + state.status());
      }
      if (hold.seats() < 1 || hold.expiresInSeconds() < 1) {
        return Outcome.invalid(
            "seats and expiresInSeconds must be greater than 0, were "
                + hold.seats()
                + " and "
                + hold.expiresInSeconds());
      }
      if (hold.expiresInSeconds() > 366L * 24 * 3600) {
        return Outcome.invalid("expiresInSeconds must be at most a year");
      }
      Instant expiresAt =
          context.now().plusSeconds(hold.expiresInSeconds()).truncatedTo(ChronoUnit.MILLIS);
      return Outcome.persist(new Held(hold.seats(), expiresAt.toString()))
          .andScheduleAt(EXPIRY, expiresAt, new Expire());
    }
    if (command instanceof Confirm) {
      if (!state.status().equals("held")) {
        return Outcome.reject("reservation is " + state.status());
      }
      if (!context.now().isBefore(Instant.parse(state.expiresAt()))) {
        // the timer may not have fired yet; the hold is over all the same
        return Outcome.reject("the hold expired at " + state.expiresAt());
      }
      return Outcome.persist(new Confirmed()).andCancel(EXPIRY);
    }
    // Expire, from the timer
    return state.status().equals("held")
        ? Outcome.persist(new Expired())
        : Outcome.reject("reservation is " + state.status());
  }

  static State onEvent(State state, Event event) {
    if (event instanceof Held held) {
      return new State("held", held.seats(), held.expiresAt());
    }
    if (event instanceof Confirmed) {
      return new State("confirmed", state.seats(), state.expiresAt());
    }
    return new State("expired", state.seats(), state.expiresAt());
  }
}
