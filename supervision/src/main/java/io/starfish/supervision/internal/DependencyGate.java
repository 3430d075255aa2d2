package io.starfish.supervision.internal;

import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Outermost gate: while a dependency the entity cannot work without is known to be down (e.g. the
 * node's journal circuit is open), commands are answered "unavailable" at once instead of waiting
 * in a restarting or recovering entity for the caller's timeout. Queries pass through.
 */
public final class DependencyGate<M> extends BehaviorInterceptor<M, M> {

  private final EntityScope<M> scope;
  private final Supplier<Optional<String>> dependencyDown;

  @SuppressWarnings("unchecked")
  public DependencyGate(EntityScope<M> scope, Supplier<Optional<String>> dependencyDown) {
    super((Class<M>) (Class<?>) Object.class);
    this.scope = scope;
    this.dependencyDown = dependencyDown;
  }

  @Override
  public Behavior<M> aroundReceive(
      TypedActorContext<M> context, M message, ReceiveTarget<M> target) {
    if (scope.messageClass().isInstance(message)
        && scope.inspector().commandKey(message).isPresent()) {
      Optional<String> down = dependencyDown.get();
      if (down.isPresent()) {
        scope
            .inspector()
            .replyUnavailable(message, "refused without trying: " + down.get() + "; retry shortly");
        return Behaviors.same();
      }
    }
    return target.apply(context, message);
  }
}
