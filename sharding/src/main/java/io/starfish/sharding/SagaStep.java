package io.starfish.sharding;

import java.util.Objects;

/**
 * One step of a saga: a command for another entity, sent with an idempotency key so that sending it
 * again (after a timeout, a crash, a failover) applies it at most once.
 *
 * @param entityType the target's entity type, e.g. "account"
 * @param entityId the target's id
 * @param command the command, a record of the target type's command interface (it travels as the
 *     same JSON a client would send)
 * @param idempotencyKey unique per step of one saga instance, and the same every time the step is
 *     sent, e.g. "transfer:t-42:withdraw"
 */
public record SagaStep(String entityType, String entityId, Object command, String idempotencyKey) {
  public SagaStep {
    Objects.requireNonNull(entityType, "entityType");
    Objects.requireNonNull(entityId, "entityId");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
  }

  /**
   * A step for entity {@code entityId} of {@code target}, typed by it: the compiler checks that
   * {@code command} is one of the target's commands. For example {@code SagaStep.to(Account.TYPE,
   * "a-1", new Account.Withdraw(50), "transfer:t-42:withdraw")}.
   */
  public static <C> SagaStep to(
      EntityType<C, ?, ?> target, String entityId, C command, String idempotencyKey) {
    return new SagaStep(target.name(), entityId, command, idempotencyKey);
  }
}
