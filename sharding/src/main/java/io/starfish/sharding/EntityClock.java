package io.starfish.sharding;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The clock the declared entities of an actor system read: {@link CommandContext#now()}, and the
 * times of idempotency records and deletion markers. The system's UTC clock unless a test sets
 * another ({@code EntityTestKit.setClock}).
 */
public final class EntityClock implements Extension {

  private static final Id ID = new Id();

  private final AtomicReference<Clock> clock = new AtomicReference<>(Clock.systemUTC());

  public static EntityClock get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public Clock clock() {
    return clock.get();
  }

  /** From now on, entities of this actor system read {@code newClock}. */
  public void set(Clock newClock) {
    clock.set(Objects.requireNonNull(newClock, "clock"));
  }

  private static final class Id extends ExtensionId<EntityClock> {
    @Override
    public EntityClock createExtension(ActorSystem<?> system) {
      return new EntityClock();
    }
  }
}
