package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How a saga's step ended, as its saga sees it. Transient trouble (a timeout, an unavailable or
 * quarantined target) never reaches the saga: Starfish sends the step again, with the same key,
 * until it is accepted or rejected.
 */
public sealed interface StepResult {

  /**
   * The target applied the step (now or, for a repeated key, earlier).
   *
   * @param state the target's state right after the step
   * @param reply the target's reply to the step
   */
  record Accepted(JsonNode state, JsonNode reply) implements StepResult {

    /** The target's state after the step, typed: {@code stateAs(Account.State.class)}. */
    public <T> T stateAs(Class<T> type) {
      return read(state, type, "state");
    }

    /** The target's reply to the step, typed. */
    public <R> R replyAs(Class<R> type) {
      return read(reply, type, "reply");
    }

    /**
     * The target's reply to {@code command}, a command that declares its reply ({@link
     * ExpectsReply}): {@code Counter.Value v = accepted.replyTo(new Counter.Increment(1));}.
     */
    public <R> R replyTo(ExpectsReply<R> command) {
      return replyAs(io.starfish.sharding.internal.ReplyTypes.<R>of(command.getClass()));
    }

    private static <T> T read(JsonNode json, Class<T> type, String what) {
      try {
        return EntityJson.MAPPER.treeToValue(json, type);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException(
            "the step's " + what + " " + json + " does not read as a " + type.getName(), e);
      }
    }
  }

  /** The target refused the step (e.g. insufficient funds); it changed nothing. */
  record Rejected(String reason) implements StepResult {}
}
