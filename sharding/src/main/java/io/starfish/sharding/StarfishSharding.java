package io.starfish.sharding;

import io.starfish.persistence.PersistenceSettings;
import io.starfish.supervision.Supervision;
import io.starfish.supervision.SupervisionSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * Runs every registered entity type on Cluster Sharding: each entity lives on exactly one node of
 * the cluster at a time, is created on its first message, wrapped in restart-with-backoff
 * supervision, and persisted under the id {@code "{type}|{id}"}.
 */
public final class StarfishSharding implements EntityGateway {

  private final ClusterSharding sharding;
  private final EntityRegistry registry;
  private final Map<String, EntityTypeKey<EntityMessage>> keys = new ConcurrentHashMap<>();
  private volatile boolean started;

  private StarfishSharding(ActorSystem<?> system, EntityRegistry registry) {
    this.sharding = ClusterSharding.get(system);
    this.registry = registry;
  }

  /** Starts the shard regions of every registered type on this node. */
  public static StarfishSharding init(ActorSystem<?> system, EntityRegistry registry) {
    StarfishSharding starfish = new StarfishSharding(system, registry);
    PersistenceSettings persistence = PersistenceSettings.create(system);
    SupervisionSettings supervision = SupervisionSettings.create(system);
    for (EntityDefinition type : registry.all()) {
      EntityTypeKey<EntityMessage> key = typeKey(type.name());
      starfish.keys.put(type.name(), key);
      starfish.sharding.init(
          Entity.of(
              key,
              entityContext ->
                  entityBehavior(type, entityContext.getEntityId(), persistence, supervision)));
      system.log().info("entity type '{}' started on sharding ({})", type.name(), type);
    }
    starfish.started = true;
    return starfish;
  }

  /** The behaviour of one entity instance, supervised, as sharding runs it. */
  public static Behavior<EntityMessage> entityBehavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision) {
    Behavior<EntityMessage> entity =
        Behaviors.setup(
            actorContext ->
                type.create(
                    new EntityContext(
                        type.name(),
                        entityId,
                        PersistenceId.of(type.name(), entityId),
                        persistence,
                        actorContext)));
    return Supervision.restartWithBackoff(entity, supervision.forEntityType(type.name()));
  }

  public static EntityTypeKey<EntityMessage> typeKey(String typeName) {
    return EntityTypeKey.create(EntityMessage.class, typeName);
  }

  /** True once every type's shard region has been started on this node. */
  public boolean isStarted() {
    return started;
  }

  @Override
  public EntityRegistry registry() {
    return registry;
  }

  @Override
  public CompletionStage<EntityResult> ask(
      String type,
      String id,
      Function<ActorRef<EntityResult>, EntityMessage> message,
      Duration timeout) {
    EntityTypeKey<EntityMessage> key = keys.get(type);
    if (key == null) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("unknown entity type " + type));
    }
    return sharding.entityRefFor(key, id).ask(message::apply, timeout);
  }
}
