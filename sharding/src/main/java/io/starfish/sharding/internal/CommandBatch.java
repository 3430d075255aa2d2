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
import io.starfish.sharding.TimerRequest;
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
   * @param scheduled timers scheduled by the write, to be indexed once it is durable
   * @param cancelled timers cancelled (or replaced) by the write, to be removed from the index
   */
  record Decided(
      List<CborSerializable> events,
      List<Answer> answers,
      List<PendingTimer> scheduled,
      List<PendingTimer> cancelled) {

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
    List<PendingTimer> scheduled = new ArrayList<>();
    List<PendingTimer> cancelled = new ArrayList<>();
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
        try {
          current = timers(type, current, persist, nowMillis, events, scheduled, cancelled);
        } catch (RuntimeException e) {
          throw new CommandFailedException(execute, e);
        }
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
    return new Decided(
        List.copyOf(events), List.copyOf(answers), List.copyOf(scheduled), List.copyOf(cancelled));
  }

  /**
   * Decides the firing of {@code timer}, pending in {@code state}: its command is handled like a
   * client's, and {@link TimerFired} is written with whatever it produced (alone when it was
   * refused), so that the firing is applied once.
   *
   * @param due the message that delivered it (named when the handler throws)
   */
  static <C, E extends CborSerializable, S extends CborSerializable> Decided decideTimer(
      EntityType<C, E, S> type,
      EntityState<S> state,
      long version,
      PendingTimer timer,
      ControlMessages.TimerDue due,
      String entityId,
      long nowMillis) {
    List<CborSerializable> events = new ArrayList<>();
    List<PendingTimer> scheduled = new ArrayList<>();
    List<PendingTimer> cancelled = new ArrayList<>();
    CommandCodec.Decoded decoded = type.commands().decodeTimer(timer.command());
    EntityResult answer;
    String refused = null;
    if (!decoded.ok()) {
      // a timer command stored by an earlier version that this one no longer reads
      refused = "undecodable timer command: " + decoded.error();
      answer = new EntityResult.Invalid(refused);
    } else {
      Outcome<E> outcome;
      try {
        outcome =
            type.commandHandler()
                .handle(
                    new CommandContext(entityId, Instant.ofEpochMilli(nowMillis)),
                    state.domain(),
                    type.commandType().cast(decoded.command()));
      } catch (RuntimeException e) {
        throw new CommandFailedException(due, e);
      }
      if (outcome instanceof Outcome.Persist<E> persist) {
        S after = state.domain();
        for (E event : persist.events()) {
          after = type.eventHandler().apply(after, event);
        }
        events.addAll(persist.events());
        EntityState<S> current = state.withDomain(after);
        try {
          timers(type, current, persist, nowMillis, events, scheduled, cancelled);
        } catch (RuntimeException e) {
          throw new CommandFailedException(due, e);
        }
        answer =
            new EntityResult.Accepted(
                version + persist.events().size(),
                EntityRendering.render(after),
                EntityRendering.reply(persist));
      } else if (outcome instanceof Outcome.Reject<E> reject) {
        refused = reject.reason();
        answer = new EntityResult.Rejected(refused);
      } else {
        refused = ((Outcome.Invalid<E>) outcome).reason();
        answer = new EntityResult.Invalid(refused);
      }
    }
    events.add(new TimerFired(timer.timerId(), timer.seq(), nowMillis, refused));
    return new Decided(
        List.copyOf(events),
        List.of(new Answer(due.replyTo(), answer)),
        List.copyOf(scheduled),
        List.copyOf(cancelled));
  }

  /**
   * Adds the markers of the timers an outcome schedules and cancels to {@code events} and gives the
   * state after them.
   *
   * @throws IllegalArgumentException when a timer's command is not one of the entity's commands
   */
  private static <C, E extends CborSerializable, S extends CborSerializable> EntityState<S> timers(
      EntityType<C, E, S> type,
      EntityState<S> state,
      Outcome.Persist<E> persist,
      long nowMillis,
      List<CborSerializable> events,
      List<PendingTimer> scheduled,
      List<PendingTimer> cancelled) {
    EntityState<S> current = state;
    for (TimerRequest request : persist.timers()) {
      Optional<PendingTimer> pending = current.timer(request.timerId());
      CborSerializable marker;
      if (request instanceof TimerRequest.Schedule schedule) {
        if (!type.commandType().isInstance(schedule.command())) {
          throw new IllegalArgumentException(
              "timer '"
                  + schedule.timerId()
                  + "' of "
                  + type.name()
                  + ": "
                  + schedule.command().getClass().getName()
                  + " is not one of its commands");
        }
        JsonNode command = CommandCodec.encode(schedule.command());
        PendingTimer timer =
            new PendingTimer(
                schedule.timerId(),
                current.timerSeq() + 1,
                Math.max(nowMillis, schedule.dueAtMillis(nowMillis)),
                command);
        marker = new TimerScheduled(timer);
        scheduled.add(timer);
        pending.ifPresent(cancelled::add);
      } else if (pending.isPresent()) {
        marker = new TimerCancelled(pending.get().timerId(), pending.get().seq());
        cancelled.add(pending.get());
      } else {
        continue; // cancelling a timer that is not pending: nothing to write
      }
      events.add(marker);
      current = current.withTimerMarker(marker);
    }
    return current;
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
