package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityMessage.GetState;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.supervision.CommandFailedException;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The event-sourced behaviour Starfish generates for an {@link EntityType}: it decodes the JSON
 * command, asks the developer's command handler, persists the events, applies them with the
 * developer's event handler and replies with the new state as JSON.
 */
public final class DeclaredEntity<C, E extends CborSerializable, S extends CborSerializable>
    extends EventSourcedBehaviorWithEnforcedReplies<EntityMessage, E, S> {

  private final EntityType<C, E, S> type;
  private final EntityContext context;

  public DeclaredEntity(EntityType<C, E, S> type, EntityContext context) {
    super(context.persistenceId());
    this.type = type;
    this.context = context;
  }

  @Override
  public S emptyState() {
    return type.initialState();
  }

  @Override
  public CommandHandlerWithReply<EntityMessage, E, S> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Execute.class, this::onExecute)
        .onCommand(
            GetState.class,
            (state, get) ->
                Effect().reply(get.replyTo(), new EntityResult.Current(version(), render(state))))
        .build();
  }

  private ReplyEffect<E, S> onExecute(S state, Execute execute) {
    CommandCodec.Decoded decoded = type.commands().decode(execute.command());
    if (!decoded.ok()) {
      return Effect().reply(execute.replyTo(), new EntityResult.Invalid(decoded.error()));
    }
    C command = type.commandType().cast(decoded.command());
    Outcome<E> outcome;
    try {
      outcome = type.commandHandler().handle(state, command);
    } catch (RuntimeException e) {
      // Names the command for supervision, which answers it and counts it towards quarantine.
      throw new CommandFailedException(execute, e);
    }
    if (outcome instanceof Outcome.Persist<E> persist) {
      return Effect()
          .persist(persist.events())
          .thenReply(
              execute.replyTo(),
              newState -> new EntityResult.Accepted(version(), render(newState), reply(persist)));
    }
    if (outcome instanceof Outcome.Reject<E> reject) {
      return Effect().reply(execute.replyTo(), new EntityResult.Rejected(reject.reason()));
    }
    if (outcome instanceof Outcome.Invalid<E> invalid) {
      return Effect().reply(execute.replyTo(), new EntityResult.Invalid(invalid.reason()));
    }
    throw new IllegalStateException("command handler of " + type.name() + " returned " + outcome);
  }

  @Override
  public EventHandler<S, E> eventHandler() {
    return (state, event) -> type.eventHandler().apply(state, event);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    int every = type.snapshotEvery().orElse(context.persistence().snapshotEvery());
    return every > 0
        ? RetentionCriteria.snapshotEvery(every, context.persistence().keepSnapshots())
        : RetentionCriteria.disabled();
  }

  @Override
  public SignalHandler<S> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state ->
                context
                    .actorContext()
                    .getLog()
                    .debug("{} recovered at version {}", context.persistenceId().id(), version()))
        .build();
  }

  /** Number of events applied so far: the journal's sequence number. */
  private long version() {
    return lastSequenceNumber(context.actorContext());
  }

  private static JsonNode render(Object value) {
    return Json.MAPPER.valueToTree(value);
  }

  private static JsonNode reply(Outcome.Persist<?> persist) {
    if (persist.reply() != null) {
      return render(persist.reply());
    }
    ObjectNode reply = Json.MAPPER.createObjectNode();
    ArrayNode events = reply.putArray("events");
    for (Object event : persist.events()) {
      events.add(CommandCodec.encode(event));
    }
    return reply;
  }
}
