package io.starfish.sharding.internal;

import io.starfish.sharding.EntityResult;

/** What a retried command under an idempotency key is answered, from the entity's record of it. */
final class IdempotencyRecords {

  private IdempotencyRecords() {}

  /**
   * The first outcome again ({@link EntityResult.Repeated}) when the retry is the same command
   * ({@code fingerprint}); {@link EntityResult.KeyReused} when the key was used for another one.
   */
  static EntityResult answerToRetry(KeyRecorded earlier, String fingerprint) {
    if (!earlier.fingerprint().equals(fingerprint)) {
      return new EntityResult.KeyReused(
          "the idempotency key \""
              + earlier.key()
              + "\" was already used for a different command on this entity");
    }
    return new EntityResult.Repeated(
        earlier.version(), earlier.state(), earlier.reply(), earlier.rejection());
  }
}
