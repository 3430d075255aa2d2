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
  record Accepted(JsonNode state, JsonNode reply) implements StepResult {}

  /** The target refused the step (e.g. insufficient funds); it changed nothing. */
  record Rejected(String reason) implements StepResult {}
}
