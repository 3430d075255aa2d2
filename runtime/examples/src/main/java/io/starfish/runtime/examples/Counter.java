package io.starfish.runtime.examples;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.ExpectsReply;
import io.starfish.sharding.Outcome;

/**
 * The smallest useful entity: a counter. Used by benchmarks. Contract: docs/entities/counter.md.
 */
public final class Counter {

  private Counter() {}

  public static final EntityType<Command, Event, State> TYPE =
      EntityType.of(
          "counter", Command.class, Event.class, State.ZERO, Counter::onCommand, Counter::onEvent);

  public sealed interface Command permits Increment {}

  /**
   * {"type":"increment","by":1}; {@code by} may be negative, but not zero. Answers the new {@link
   * Value}.
   */
  public record Increment(long by) implements Command, ExpectsReply<Value> {}

  public sealed interface Event extends CborSerializable permits Incremented {}

  public record Incremented(long by) implements Event {}

  public record State(long value) implements CborSerializable {
    public static final State ZERO = new State(0);
  }

  /** The reply to an increment: the new value. */
  public record Value(long value) {}

  static Outcome<Event> onCommand(State state, Command command) {
    Increment increment = (Increment) command;
    if (increment.by() == 0) {
      return Outcome.invalid("by must not be 0");
    }
    try {
      long next = Math.addExact(state.value(), increment.by());
      return Outcome.persistWithReply(increment, new Value(next), new Incremented(increment.by()));
    } catch (ArithmeticException overflow) {
      return Outcome.reject("increment by " + increment.by() + " would overflow the counter");
    }
  }

  static State onEvent(State state, Event event) {
    return new State(state.value() + ((Incremented) event).by());
  }
}
