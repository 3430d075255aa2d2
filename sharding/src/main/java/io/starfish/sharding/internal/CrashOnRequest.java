package io.starfish.sharding.internal;

import io.starfish.observability.EntityTelemetry;
import io.starfish.sharding.EntityMessage;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;

/**
 * Turns {@link ControlMessages.Crash} into a failure of the entity, inside its supervisor: the same
 * path as a command handler that throws (restart with backoff, recovery from the journal), for
 * every entity type, declared or hand-written.
 */
public final class CrashOnRequest extends BehaviorInterceptor<EntityMessage, EntityMessage> {

  /** The failure an operator asked for. */
  public static final class CrashRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CrashRequested(String entity) {
      super("crash of " + entity + " requested through the admin API");
    }
  }

  private final String type;
  private final String id;

  public CrashOnRequest(String type, String id) {
    super(EntityMessage.class);
    this.type = type;
    this.id = id;
  }

  @Override
  public Behavior<EntityMessage> aroundReceive(
      TypedActorContext<EntityMessage> context,
      EntityMessage message,
      ReceiveTarget<EntityMessage> target) {
    if (message instanceof ControlMessages.Crash) {
      EntityTelemetry.get(context.asJava().getSystem()).crashRequested(type);
      throw new CrashRequested(type + "/" + id);
    }
    return target.apply(context, message);
  }
}
