package io.starfish.sharding;

/**
 * Decides what a command does, given the current state. Pure: no side effects, no I/O; it may
 * throw, in which case the entity is restarted (see starfish.supervision) and nothing is persisted.
 */
@FunctionalInterface
public interface CommandHandler<C, E, S> {
  Outcome<E> handle(S state, C command);
}
