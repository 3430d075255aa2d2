package io.starfish.sharding;

/**
 * A {@link CommandHandler} that also gets the {@link CommandContext}: the entity's id and the time
 * of the decision. Pure, like a command handler.
 */
@FunctionalInterface
public interface ContextualCommandHandler<C, E, S> {
  Outcome<E> handle(CommandContext context, S state, C command);
}
