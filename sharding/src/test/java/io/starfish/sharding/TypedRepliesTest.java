package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starfish.sharding.internal.ReplyTypes;
import org.junit.jupiter.api.Test;

/** Replies typed by their command ({@link ExpectsReply}) and saga step results read typed. */
class TypedRepliesTest {

  record Value(long value) {}

  sealed interface Command permits Add, Peek, Plain {}

  record Add(long by) implements Command, ExpectsReply<Value> {}

  /** Declares its reply through an interface of its own. */
  interface Query<R> extends ExpectsReply<R> {}

  record Peek() implements Command, Query<Value> {}

  record Plain() implements Command {}

  record Added(long by) {}

  @Test
  void theReplyTypeIsTheOneTheCommandDeclares() {
    assertThat(ReplyTypes.<Value>of(Add.class)).isEqualTo(Value.class);
    assertThat(ReplyTypes.<Value>of(Peek.class)).isEqualTo(Value.class);
    assertThatThrownBy(() -> ReplyTypes.of(Plain.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not implement ExpectsReply");
  }

  @Test
  void typedOutcomesCarryTheReplyAndInferTheEventType() {
    Add add = new Add(2);
    Outcome<Object> persisted = handle(add);
    assertThat(persisted).isInstanceOf(Outcome.Persist.class);
    assertThat(((Outcome.Persist<Object>) persisted).reply()).isEqualTo(new Value(2));
    assertThat(((Outcome.Persist<Object>) persisted).events()).containsExactly(new Added(2));
    Outcome.Persist<Object> answered = Outcome.reply(new Peek(), new Value(5));
    assertThat(answered.events()).isEmpty();
    assertThat(answered.reply()).isEqualTo(new Value(5));
  }

  private static Outcome<Object> handle(Add add) {
    // the return context gives E: no type witness
    return Outcome.persistWithReply(add, new Value(add.by()), new Added(add.by()));
  }

  @Test
  void aStepResultReadsTheTargetsStateAndReplyTyped() {
    var accepted =
        new StepResult.Accepted(
            EntityJson.MAPPER.valueToTree(new Added(9)),
            EntityJson.MAPPER.valueToTree(new Value(7)));
    assertThat(accepted.stateAs(Added.class)).isEqualTo(new Added(9));
    assertThat(accepted.replyAs(Value.class)).isEqualTo(new Value(7));
    Value typed = accepted.replyTo(new Add(1));
    assertThat(typed).isEqualTo(new Value(7));
    assertThatThrownBy(() -> accepted.replyAs(Long.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not read as");
  }
}
