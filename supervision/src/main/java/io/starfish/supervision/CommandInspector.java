package io.starfish.supervision;

import java.util.Optional;

/**
 * What {@link SupervisedEntity} needs to know about an entity's messages: which are commands (and
 * how to recognise the same command again), and how to answer a request that it refuses.
 *
 * @param <M> the entity's message type
 */
public interface CommandInspector<M> {

  /**
   * The identity of a command, for quarantine: two messages with equal keys are "the same command"
   * (e.g. the command's JSON). Empty for messages that are not commands (queries).
   */
  Optional<Object> commandKey(M message);

  /** A short name for logs, e.g. the command's type. */
  String describe(M message);

  /**
   * Answers a request the entity could not handle because it failed or is stopped; the caller may
   * retry. Messages without a reply address are ignored.
   */
  void replyUnavailable(M message, String reason);

  /** Answers a command that is quarantined; retrying the same command will not help. */
  void replyQuarantined(M message, String reason);
}
