package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.CommandContext;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.supervision.CommandFailedException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Decides commands of a declared entity one after another, each on the state the one before it
 * leaves: what to write (the developer's events, plus a {@link KeyRecorded} record for each keyed
 * command) and what to answer each caller. One command is a batch of one; a group commit is a
 * longer batch ({@link GroupCommit}), written in one atomic write. Pure: nothing is written or
 * answered here.
 */
final class CommandBatch {

  private CommandBatch() {}

  /** One caller's answer, to be sent once the batch's write (if any) is durable. */
  record Answer(ActorRef<EntityResult> replyTo, EntityResult result) {}

  /**
   * What a batch does.
   *
   * @param events everything to write, in order, in one atomic write; empty: nothing to write
   * @param answers one per command, in the order of the commands
   */
  record Decided(List<CborSerializable> events, List<Answer> answers) {

    boolean writes() {
      return !events.isEmpty();
    }

    void answerAll() {
      for (Answer answer : answers) {
        answer.replyTo().tell(answer.result());
      }
    }
  }

  /**
   * @param state the entity's state before the first command
   * @param version the entity's version (domain events applied) before the first command
   * @param entityId the deciding entity's id
   * @param nowMillis the time of the decision: handlers see it, keys are recorded at and checked
   *     against it
   * @throws CommandFailedException naming the command whose handler threw
   */
  static <C, E extends CborSerializable, S extends CborSerializable> Decided decide(
      EntityType<C, E, S> type,
      PersistenceSettings persistence,
      EntityState<S> state,
      long version,
      List<Execute> commands,
      String entityId,
      long nowMillis) {
    CommandContext context = new CommandContext(entityId, Instant.ofEpochMilli(nowMillis));
    List<CborSerializable> events = new ArrayList<>();
    List<Answer> answers = new ArrayList<>(commands.size());
    EntityState<S> current = state;
    long currentVersion = version;
    for (Execute execute : commands) {
      CommandCodec.Decoded decoded = type.commands().decode(execute.command());
      if (!decoded.ok()) {
        answers.add(new Answer(execute.replyTo(), new EntityResult.Invalid(decoded.error())));
        continue;
      }
      String key = execute.idempotencyKey();
      String fingerprint = null;
      if (key != null) {
        fingerprint = CommandFingerprint.of(execute.command());
        Optional<KeyRecorded> earlier =
            current.find(key, nowMillis, persistence.idempotencyRetention());
        if (earlier.isPresent()) {
          answers.add(
              new Answer(
                  execute.replyTo(), IdempotencyRecords.answerToRetry(earlier.get(), fingerprint)));
          continue;
        }
      }
      Outcome<E> outcome;
      try {
        outcome =
            type.commandHandler()
                .handle(context, current.domain(), type.commandType().cast(decoded.command()));
      } catch (RuntimeException e) {
        // Names the command for supervision, which answers it and counts it towards quarantine.
        throw new CommandFailedException(execute, e);
      }
      if (outcome instanceof Outcome.Persist<E> persist) {
        JsonNode reply = EntityRendering.reply(persist);
        S after = current.domain();
        for (E event : persist.events()) {
          after = type.eventHandler().apply(after, event);
        }
        currentVersion += persist.events().size();
        events.addAll(persist.events());
        current = current.withDomain(after);
        JsonNode rendered = EntityRendering.render(after);
        if (key != null) {
          current =
              recordKey(
                  current,
                  events,
                  persistence,
                  new KeyRecorded(
                      key, fingerprint, nowMillis, currentVersion, rendered, reply, null));
        }
        answers.add(
            new Answer(
                execute.replyTo(), new EntityResult.Accepted(currentVersion, rendered, reply)));
      } else if (outcome instanceof Outcome.Reject<E> reject) {
        if (key != null) {
          // Recorded, so that a retry gets this rejection even if the state has changed meanwhile.
          current =
              recordKey(
                  current,
                  events,
                  persistence,
                  new KeyRecorded(
                      key,
                      fingerprint,
                      nowMillis,
                      currentVersion,
                      EntityRendering.render(current.domain()),
                      null,
                      reject.reason()));
        }
        answers.add(new Answer(execute.replyTo(), new EntityResult.Rejected(reject.reason())));
      } else if (outcome instanceof Outcome.Invalid<E> invalid) {
        answers.add(new Answer(execute.replyTo(), new EntityResult.Invalid(invalid.reason())));
      } else {
        throw new IllegalStateException(
            "command handler of " + type.name() + " returned " + outcome);
      }
    }
    return new Decided(List.copyOf(events), List.copyOf(answers));
  }

  private static <S> EntityState<S> recordKey(
      EntityState<S> state,
      List<CborSerializable> events,
      PersistenceSettings persistence,
      KeyRecorded recorded) {
    events.add(recorded);
    return state.withKey(
        recorded, persistence.idempotencyMaxKeys(), persistence.idempotencyRetention());
  }
}
