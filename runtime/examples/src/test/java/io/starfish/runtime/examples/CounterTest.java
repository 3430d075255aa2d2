package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starfish.sharding.Outcome;
import io.starfish.sharding.testkit.EntityTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The counter's handlers are pure functions, tested directly; its typed reply is tested through the
 * entity test kit (as a client's JSON would come back).
 */
class CounterTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("CounterTest", EntityTestKit.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void incrementRepliesWithTheNewValue() {
    Counter.Increment increment = new Counter.Increment(3);
    Outcome<Counter.Event> outcome = Counter.onCommand(new Counter.State(4), increment);
    assertThat(outcome)
        .isEqualTo(
            Outcome.persistWithReply(increment, new Counter.Value(7), new Counter.Incremented(3)));
    assertThat(Counter.onEvent(new Counter.State(4), new Counter.Incremented(3)))
        .isEqualTo(new Counter.State(7));
  }

  @Test
  void theTypedReplyComesBackFromTheEntity() {
    var kit = EntityTestKit.of(testKit.system(), Counter.TYPE, "c-typed");
    Counter.Value first = kit.ask(new Counter.Increment(3));
    Counter.Value second = kit.ask(new Counter.Increment(-1));
    assertThat(first).isEqualTo(new Counter.Value(3));
    assertThat(second).isEqualTo(new Counter.Value(2));
    assertThat(kit.run(new Counter.Increment(5)).reply(Counter.Value.class))
        .isEqualTo(new Counter.Value(7));
    assertThatThrownBy(() -> kit.ask(new Counter.Increment(0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("by must not be 0");
  }

  @Test
  void zeroIsInvalidAndOverflowIsRejected() {
    assertThat(Counter.onCommand(Counter.State.ZERO, new Counter.Increment(0)))
        .isInstanceOf(Outcome.Invalid.class);
    assertThat(Counter.onCommand(new Counter.State(Long.MAX_VALUE), new Counter.Increment(1)))
        .isInstanceOf(Outcome.Reject.class);
  }
}
