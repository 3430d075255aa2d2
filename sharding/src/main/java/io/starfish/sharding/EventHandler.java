package io.starfish.sharding;

/**
 * Applies one persisted event to the state. Pure and total: it runs again on every recovery, so it
 * must not fail for an event that was once accepted.
 */
@FunctionalInterface
public interface EventHandler<S, E> {
  S apply(S state, E event);
}
