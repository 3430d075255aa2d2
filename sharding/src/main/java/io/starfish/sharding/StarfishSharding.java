package io.starfish.sharding;

import com.typesafe.config.Config;
import io.starfish.observability.EntityTelemetry;
import io.starfish.persistence.JournalCircuit;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.sharding.internal.ControlMessages;
import io.starfish.sharding.internal.CoordinatorsReady;
import io.starfish.sharding.internal.CrashOnRequest;
import io.starfish.sharding.internal.EntityBehaviors;
import io.starfish.sharding.internal.EntityGuard;
import io.starfish.sharding.internal.EntityMessages;
import io.starfish.sharding.internal.SettledRegionAllocation;
import io.starfish.supervision.FailureStatistics;
import io.starfish.supervision.SupervisedEntity;
import io.starfish.supervision.SupervisionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * Runs every registered entity type on Cluster Sharding: each entity lives on exactly one node of
 * the cluster at a time, is created on its first message, wrapped in restart-with-backoff
 * supervision, and persisted under the id {@code "{type}|{id}"}. Entities are remembered: when a
 * shard moves (rebalance, leave, crash) its live entities are started again on the new node at
 * once. Idle entities are passivated (see {@link ShardingSettings}).
 */
public final class StarfishSharding implements EntityGateway {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final EntityRegistry registry;
  private final int numberOfShards;
  private final Map<String, EntityTypeKey<EntityMessage>> keys = new ConcurrentHashMap<>();
  private final JournalCircuit circuit;
  private final FailureStatistics statistics;
  private final EntityTelemetry telemetry;
  private volatile boolean started;
  private final CoordinatorsReady coordinatorsReady;

  private StarfishSharding(ActorSystem<?> system, EntityRegistry registry) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.registry = registry;
    this.circuit = JournalCircuit.get(system);
    this.statistics = FailureStatistics.get(system);
    this.telemetry = EntityTelemetry.get(system);
    this.numberOfShards =
        system.settings().config().getInt("pekko.cluster.sharding.number-of-shards");
    this.coordinatorsReady =
        new CoordinatorsReady(
            system.classicSystem(),
            registry.names().stream().map(name -> typeKey(name).name()).toList(),
            Duration.ofSeconds(3));
  }

  /** Starts the shard regions of every registered type on this node. */
  public static StarfishSharding init(ActorSystem<?> system, EntityRegistry registry) {
    StarfishSharding starfish = new StarfishSharding(system, registry);
    PersistenceSettings persistence = PersistenceSettings.create(system);
    SupervisionSettings supervision = SupervisionSettings.create(system);
    ShardingSettings settings = ShardingSettings.create(system);
    requireSagasOutliveTheirWaits(registry, settings, SagaSettings.create(system));
    for (EntityDefinition type : registry.all()) {
      EntityTypeKey<EntityMessage> key = typeKey(type.name());
      starfish.keys.put(type.name(), key);
      Entity<EntityMessage, ShardingEnvelope<EntityMessage>> entity =
          Entity.of(
                  key,
                  entityContext ->
                      EntityGuard.wrap(
                          entityBehavior(
                              type,
                              entityContext.getEntityId(),
                              persistence,
                              supervision,
                              self ->
                                  entityContext
                                      .getShard()
                                      .tell(new ClusterSharding.Passivate<>(self))),
                          entityContext.getShard(),
                          settings))
              .withEntityProps(DispatcherSelector.fromConfig(settings.entityDispatcher()));
      if (!settings.settleNewRegionsFor().isZero()) {
        Config least =
            system
                .settings()
                .config()
                .getConfig("pekko.cluster.sharding.least-shard-allocation-strategy");
        entity =
            entity.withAllocationStrategy(
                SettledRegionAllocation.create(
                    least.getInt("rebalance-absolute-limit"),
                    least.getDouble("rebalance-relative-limit"),
                    settings.settleNewRegionsFor()));
      }
      starfish.sharding.init(entity);
      system.log().info("entity type '{}' started on sharding ({})", type.name(), type);
    }
    starfish.started = true;
    return starfish;
  }

  /**
   * A saga waiting to send a step again receives no message for up to step-timeout +
   * retry-max-backoff; if idle passivation came first, it would stop the saga and remember-entities
   * would forget it, so that it resumed only on its next message.
   */
  static void requireSagasOutliveTheirWaits(
      EntityRegistry registry, ShardingSettings settings, SagaSettings sagas) {
    boolean anySaga = registry.all().stream().anyMatch(type -> type instanceof SagaType);
    if (anySaga
        && settings.passivateIdleAfter().isPresent()
        && settings.passivateIdleAfter().get().compareTo(sagas.longestQuietPeriod().multipliedBy(2))
            < 0) {
      throw new IllegalArgumentException(
          "starfish.sharding.passivate-idle-after ("
              + settings.passivateIdleAfter().get()
              + ") must be at least twice starfish.sharding.saga.step-timeout +"
              + " retry-max-backoff ("
              + sagas.longestQuietPeriod()
              + "), or a waiting saga could be passivated mid-way");
    }
  }

  /**
   * The behaviour of one entity instance, supervised (restart with backoff, poison-command
   * quarantine, journal failures reported to the node's {@link JournalCircuit}), outside sharding:
   * an entity that supervision gives up on answers "unavailable" until it is stopped.
   */
  public static Behavior<EntityMessage> entityBehavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision) {
    return entityBehavior(type, entityId, persistence, supervision, self -> {});
  }

  /**
   * As above, with the entity's way to reach other entities (sagas send their steps through it);
   * the other overloads route through Cluster Sharding.
   */
  public static Behavior<EntityMessage> entityBehavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision,
      EntityRouter router) {
    return entityBehavior(type, entityId, persistence, supervision, self -> {}, router);
  }

  /** As above; {@code onGiveUp} receives the entity's actor when supervision gives up on it. */
  public static Behavior<EntityMessage> entityBehavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision,
      Consumer<ActorRef<EntityMessage>> onGiveUp) {
    return entityBehavior(type, entityId, persistence, supervision, onGiveUp, null);
  }

  private static Behavior<EntityMessage> entityBehavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision,
      Consumer<ActorRef<EntityMessage>> onGiveUp,
      EntityRouter router) {
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
                        router != null ? router : shardedRouter(actorContext.getSystem()))));
    // Every log line of the entity (its own, supervision's, Pekko Persistence's) names it.
    Map<String, String> mdc = Map.of("entityType", type.name(), "entityId", entityId);
    Behavior<EntityMessage> supervised =
        Behaviors.setup(
            context -> {
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
                  .wrap(
                      Behaviors.intercept(() -> new CrashOnRequest(type.name(), entityId), entity));
            });
    return Behaviors.withMdc(EntityMessage.class, mdc, supervised);
  }

  /** Routes to entities through Cluster Sharding (resolved on first use). */
  static EntityRouter shardedRouter(ActorSystem<?> system) {
    return (type, id) -> ClusterSharding.get(system).entityRefFor(typeKey(type), id);
  }

  public static EntityTypeKey<EntityMessage> typeKey(String typeName) {
    return EntityTypeKey.create(EntityMessage.class, typeName);
  }

  /** The shard an entity id belongs to (the same for every entity type). */
  public String shardIdOf(String entityId) {
    return ShardRegion.HashCodeMessageExtractor$.MODULE$.shardId(entityId, numberOfShards);
  }

  /**
   * Where the shards of every registered type live, per node, with entity counts, as the shard
   * regions of the whole cluster report them. Regions that do not answer within {@code timeout} are
   * reported with their shards as failed.
   */
  public CompletionStage<Map<String, List<ShardPlacement>>> placement(Duration timeout) {
    Map<String, CompletableFuture<List<ShardPlacement>>> perType = new LinkedHashMap<>();
    for (String type : registry.names()) {
      CompletionStage<ShardRegion.ClusterShardingStats> stats =
          AskPattern.ask(
              sharding.shardState(),
              replyTo -> new GetClusterShardingStats(keys.get(type), timeout, replyTo),
              timeout.plusSeconds(1),
              system.scheduler());
      perType.put(type, stats.thenApply(StarfishSharding::placements).toCompletableFuture());
    }
    return allByType(perType);
  }

  /** The answers of every type once all are in; a type whose answer is null is left out. */
  private static <T> CompletionStage<Map<String, T>> allByType(
      Map<String, CompletableFuture<T>> perType) {
    return CompletableFuture.allOf(perType.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, T> result = new LinkedHashMap<>();
              perType.forEach(
                  (type, future) -> {
                    if (future.join() != null) {
                      result.put(type, future.join());
                    }
                  });
              return result;
            });
  }

  private static List<ShardPlacement> placements(ShardRegion.ClusterShardingStats stats) {
    List<ShardPlacement> placements = new ArrayList<>();
    stats
        .getRegions()
        .forEach(
            (address, region) -> {
              Map<String, Integer> counts = new TreeMap<>();
              region.getStats().forEach((shard, count) -> counts.put(shard, (Integer) count));
              placements.add(
                  new ShardPlacement(address.toString(), counts, Set.copyOf(region.getFailed())));
            });
    placements.sort(java.util.Comparator.comparing(ShardPlacement::node));
    return placements;
  }

  /**
   * The sagas of {@code type} that are still pending, cluster-wide; empty if {@code type} is not a
   * registered saga type. A pending saga is always running (it is never passivated mid-way and
   * remember-entities restarts it after a failover), so it is found by asking every node's shard
   * region for its running entities and each running saga for its state.
   */
  public CompletionStage<Optional<PendingSagas>> pendingSagas(String type, Duration timeout) {
    if (!(registry.find(type).orElse(null) instanceof SagaType<?, ?, ?> saga)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    EntityTypeKey<EntityMessage> key = keys.get(type);
    CompletionStage<ShardRegion.ClusterShardingStats> stats =
        AskPattern.ask(
            sharding.shardState(),
            replyTo -> new GetClusterShardingStats(key, timeout, replyTo),
            timeout.plusSeconds(1),
            system.scheduler());
    return stats
        .thenCompose(
            clusterStats -> {
              List<String> unanswered = new java.util.concurrent.CopyOnWriteArrayList<>();
              List<CompletableFuture<Set<String>>> perRegion = new ArrayList<>();
              clusterStats
                  .getRegions()
                  .keySet()
                  .forEach(
                      address ->
                          perRegion.add(
                              runningEntities(address, type, timeout)
                                  .exceptionally(
                                      failure -> {
                                        unanswered.add(address.toString());
                                        return Set.of();
                                      })
                                  .toCompletableFuture()));
              return CompletableFuture.allOf(perRegion.toArray(CompletableFuture[]::new))
                  .thenCompose(
                      done -> {
                        Set<String> ids = new java.util.TreeSet<>();
                        perRegion.forEach(f -> ids.addAll(f.join()));
                        return pendingAmong(saga, type, ids, timeout, unanswered);
                      });
            })
        .thenApply(Optional::of);
  }

  private CompletionStage<Set<String>> runningEntities(
      org.apache.pekko.actor.Address region, String type, Duration timeout) {
    String path =
        region
            + "/system/sharding/"
            + java.net.URLEncoder.encode(type, java.nio.charset.StandardCharsets.UTF_8);
    return org.apache.pekko.pattern.Patterns.ask(
            system.classicSystem().actorSelection(path),
            ShardRegion.getShardRegionStateInstance(),
            timeout)
        .thenApply(
            answer -> {
              Set<String> ids = new java.util.HashSet<>();
              for (ShardRegion.ShardState shard :
                  ((ShardRegion.CurrentShardRegionState) answer).getShards()) {
                ids.addAll(shard.getEntityIds());
              }
              return ids;
            });
  }

  private CompletionStage<PendingSagas> pendingAmong(
      SagaType<?, ?, ?> saga,
      String type,
      Set<String> ids,
      Duration timeout,
      List<String> unanswered) {
    Map<String, CompletableFuture<EntityResult>> states = new TreeMap<>();
    for (String id : ids) {
      states.put(
          id,
          ask(type, id, EntityMessage.GetState::new, timeout)
              .toCompletableFuture()
              .exceptionally(failure -> null));
    }
    return CompletableFuture.allOf(states.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<PendingSagas.PendingSaga> pending = new ArrayList<>();
              states.forEach(
                  (id, future) -> {
                    EntityResult result = future.join();
                    if (result instanceof EntityResult.Current current) {
                      if (saga.isPending(id, current.state()).orElse(true)) {
                        pending.add(
                            new PendingSagas.PendingSaga(id, current.version(), current.state()));
                      }
                    } else {
                      unanswered.add(type + "/" + id);
                    }
                  });
              List<String> missing = List.copyOf(unanswered);
              return new PendingSagas(type, pending, missing.isEmpty(), missing);
            });
  }

  /** True once every type's shard region has been started on this node. */
  public boolean isStarted() {
    return started;
  }

  /**
   * For readiness: empty once every type's region is started and its shard coordinator is active
   * and has registered this node's region (checked until it first holds); else why not.
   */
  public CompletionStage<Optional<String>> readinessProblem() {
    if (!started) {
      return CompletableFuture.completedFuture(Optional.of("not started"));
    }
    return coordinatorsReady.problem();
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
    if (circuit.isOpen()) {
      // Fail fast while the journal is down: a command could not be persisted, and the entity is
      // likely restarting. Reads still go through: a live entity answers from memory.
      EntityMessage probe = message.apply(system.ignoreRef());
      if (probe instanceof EntityMessage.Execute) {
        statistics.breakerRejection(type);
        telemetry.command(type, "unavailable", 0);
        return CompletableFuture.completedFuture(
            new EntityResult.Unavailable(
                "the journal (Cassandra) is unreachable; commands are refused until it answers"
                    + " again: "
                    + circuit.openReason().orElse("")));
      }
    }
    long started = System.nanoTime();
    boolean command = message.apply(system.ignoreRef()) instanceof EntityMessage.Execute;
    CompletionStage<EntityResult> answer =
        sharding.entityRefFor(key, id).ask(message::apply, timeout);
    if (!command) {
      return answer;
    }
    return answer.whenComplete(
        (result, failure) ->
            telemetry.command(type, outcomeName(result, failure), System.nanoTime() - started));
  }

  /** The label of a command's outcome in the starfish_entity_commands metric. */
  static String outcomeName(EntityResult result, Throwable failure) {
    if (failure != null) {
      return failure instanceof java.util.concurrent.TimeoutException
              || failure.getCause() instanceof java.util.concurrent.TimeoutException
          ? "timeout"
          : "failed";
    }
    if (result instanceof EntityResult.Accepted) {
      return "accepted";
    } else if (result instanceof EntityResult.Repeated) {
      return "repeated";
    } else if (result instanceof EntityResult.Rejected) {
      return "rejected";
    } else if (result instanceof EntityResult.Invalid) {
      return "invalid";
    } else if (result instanceof EntityResult.Unavailable) {
      return "unavailable";
    } else if (result instanceof EntityResult.Quarantined) {
      return "quarantined";
    } else if (result instanceof EntityResult.KeyReused) {
      return "key-reused";
    }
    return "other";
  }

  /** Makes the entity fail now (supervision restarts it); see {@link ControlMessages.Crash}. */
  public boolean crash(String type, String id) {
    EntityTypeKey<EntityMessage> key = keys.get(type);
    if (key == null) {
      return false;
    }
    sharding.entityRefFor(key, id).tell(new ControlMessages.Crash());
    return true;
  }

  /**
   * The shards of every registered type that live on this node, each with the ids of its running
   * entities (as this node's shard regions report them). A type whose region does not answer within
   * {@code timeout} is left out.
   */
  public CompletionStage<Map<String, Map<String, Set<String>>>> localShards(Duration timeout) {
    Map<String, CompletableFuture<Map<String, Set<String>>>> perType = new LinkedHashMap<>();
    for (String type : registry.names()) {
      CompletionStage<ShardRegion.CurrentShardRegionState> state =
          AskPattern.ask(
              sharding.shardState(),
              replyTo -> new GetShardRegionState(keys.get(type), replyTo),
              timeout,
              system.scheduler());
      perType.put(
          type,
          state
              .thenApply(
                  current -> {
                    Map<String, Set<String>> shards = new TreeMap<>();
                    current
                        .getShards()
                        .forEach(shard -> shards.put(shard.shardId(), shard.getEntityIds()));
                    return shards;
                  })
              .exceptionally(failure -> null)
              .toCompletableFuture());
    }
    return allByType(perType);
  }
}
