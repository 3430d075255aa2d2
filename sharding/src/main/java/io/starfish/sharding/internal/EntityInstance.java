package io.starfish.sharding.internal;

import io.starfish.persistence.JournalCircuit;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.sharding.EntityContext;
import io.starfish.sharding.EntityDefinition;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityRouter;
import io.starfish.sharding.ShardingSettings;
import io.starfish.sharding.StarfishSharding;
import io.starfish.supervision.FailureStatistics;
import io.starfish.supervision.SupervisedEntity;
import io.starfish.supervision.SupervisionSettings;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * One entity instance as Starfish runs it, sharding aside: the entity's behaviour inside its
 * supervision (restart with backoff, poison-command quarantine, journal failures reported to the
 * node's {@link JournalCircuit}, crash requests), behind a {@link GroupCommit} if it is a plain
 * declared entity ({@link EntityIncarnation}), with its type and id in every log line.
 */
public final class EntityInstance {

  private EntityInstance() {}

  /**
   * @param onGiveUp receives the entity's actor when supervision gives up on it
   * @param router how the entity reaches other entities (sagas send their steps through it); null:
   *     through Cluster Sharding
   * @param sharding the group commit settings; null: this node's configuration
   */
  public static Behavior<EntityMessage> behavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision,
      Consumer<ActorRef<EntityMessage>> onGiveUp,
      EntityRouter router,
      ShardingSettings sharding) {
    // Every log line of the entity (its own, supervision's, Pekko Persistence's) names it.
    Map<String, String> mdc = Map.of("entityType", type.name(), "entityId", entityId);
    Behavior<EntityMessage> supervised =
        Behaviors.setup(
            context -> {
              ShardingSettings settings =
                  sharding != null ? sharding : ShardingSettings.create(context.getSystem());
              boolean grouped = settings.groupCommit() && EntityBehaviors.takesGroupCommit(type);
              Behavior<EntityMessage> entity =
                  Behaviors.setup(
                      actorContext ->
                          EntityBehaviors.of(
                              type,
                              new EntityContext(
                                  type.name(),
                                  entityId,
                                  PersistenceId.of(type.name(), entityId),
                                  persistence,
                                  actorContext,
                                  router != null
                                      ? router
                                      : shardedRouter(actorContext.getSystem())),
                              grouped));
              // Inside supervision: created anew, with an empty group commit, on every restart.
              Behavior<EntityMessage> incarnation =
                  EntityIncarnation.wrap(
                      type.name(),
                      entityId,
                      grouped ? settings.groupCommitMaxBatch() : 0,
                      settings.groupCommitMaxWaiting(),
                      entity);
              JournalCircuit circuit = JournalCircuit.get(context.getSystem());
              FailureStatistics statistics = FailureStatistics.get(context.getSystem());
              return SupervisedEntity.of(
                      type.name(),
                      entityId,
                      EntityMessage.class,
                      supervision.forEntityType(type.name()),
                      EntityMessages.INSPECTOR,
                      statistics)
                  .dependencyFailures(
                      EntityMessages::isJournalFailure,
                      failure -> {
                        statistics.persistFailure(type.name());
                        circuit.recordFailure(failure);
                      })
                  // A node whose journal is down refuses at once the commands that reach its
                  // entities through other nodes, as its own HTTP routes do.
                  .refuseCommandsWhile(circuit::openReason)
                  .onGiveUp(onGiveUp)
                  .wrap(incarnation);
            });
    return Behaviors.withMdc(EntityMessage.class, mdc, supervised);
  }

  /** Routes to entities through Cluster Sharding (resolved on first use). */
  private static EntityRouter shardedRouter(ActorSystem<?> system) {
    return (type, id) ->
        ClusterSharding.get(system).entityRefFor(StarfishSharding.typeKey(type), id);
  }
}
