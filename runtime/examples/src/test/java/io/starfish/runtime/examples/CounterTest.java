package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.sharding.Outcome;
import org.junit.jupiter.api.Test;

/** The counter's handlers are pure functions: tested directly, no actor needed. */
class CounterTest {

  @Test
  void incrementRepliesWithTheNewValue() {
    Outcome<Counter.Event> outcome =
        Counter.onCommand(new Counter.State(4), new Counter.Increment(3));
    assertThat(outcome)
        .isEqualTo(
            Outcome.<Counter.Event>persistWithReply(
                new Counter.Value(7), new Counter.Incremented(3)));
    assertThat(Counter.onEvent(new Counter.State(4), new Counter.Incremented(3)))
        .isEqualTo(new Counter.State(7));
  }

  @Test
  void zeroIsInvalidAndOverflowIsRejected() {
    assertThat(Counter.onCommand(Counter.State.ZERO, new Counter.Increment(0)))
        .isInstanceOf(Outcome.Invalid.class);
    assertThat(Counter.onCommand(new Counter.State(Long.MAX_VALUE), new Counter.Increment(1)))
        .isInstanceOf(Outcome.Reject.class);
  }
}
