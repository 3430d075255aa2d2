package io.starfish.sharding;

import com.typesafe.config.Config;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.sharding.internal.ControlMessages;
import io.starfish.sharding.internal.CoordinatorsReady;
import io.starfish.sharding.internal.EntityAsk;
import io.starfish.sharding.internal.EntityGuard;
import io.starfish.sharding.internal.EntityInstance;
import io.starfish.sharding.internal.SettledRegionAllocation;
import io.starfish.sharding.internal.ShardQueries;
import io.starfish.sharding.internal.StoredTypes;
import io.starfish.sharding.internal.TimerSettings;
import io.starfish.sharding.internal.TimerSweeper;
import io.starfish.supervision.SupervisionSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;

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
  private final EntityAsk asks;
  private final ShardQueries shards;
  private final CoordinatorsReady coordinatorsReady;
  private volatile boolean started;

  private StarfishSharding(ActorSystem<?> system, EntityRegistry registry) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.registry = registry;
    this.asks = new EntityAsk(system);
    this.shards = new ShardQueries(system, registry.names(), keys::get);
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
    ShardingSettings settings = ShardingSettings.create(system);
    settings.requireSagasOutliveTheirWaits(registry, SagaSettings.create(system));
    for (EntityDefinition type : registry.all()) {
      // its stored names are known before any of its events is read (history, views, recovery)
      EntityType<?, ?, ?> declared =
          type instanceof EntityType<?, ?, ?> entity
              ? entity
              : type instanceof SagaType<?, ?, ?> saga ? saga.entity() : null;
      if (declared != null) {
        StoredTypes.get(system.classicSystem()).register(declared);
      }
      starfish.startRegion(type, settings);
    }
    starfish.startTimerSweepers();
    starfish.started = true;
    return starfish;
  }

  /**
   * The CQL that creates what durable timers need in Cassandra (the index table, in the journal's
   * keyspace), for the production schema ({@code starfish-node schema}).
   */
  public static List<String> schemaStatements(com.typesafe.config.Config config) {
    return List.of(
        io.starfish.sharding.internal.TimerTables.createStatement(
            TimerSettings.create(config).keyspace()));
  }

  /** The sweepers that deliver due durable timers, spread over the cluster (TimerSweeper). */
  private void startTimerSweepers() {
    if (!system.settings().config().getBoolean("starfish.timers.enabled")) {
      return;
    }
    TimerSettings timers = TimerSettings.create(system.settings().config());
    ShardedDaemonProcess.get(system)
        .init(
            TimerSweeper.Command.class,
            "starfish-timers",
            timers.sweepers(),
            TimerSweeper::create,
            ShardedDaemonProcessSettings.create(system),
            Optional.of(TimerSweeper.Stop.INSTANCE));
  }

  private void startRegion(EntityDefinition type, ShardingSettings settings) {
    PersistenceSettings persistence = PersistenceSettings.create(system);
    SupervisionSettings supervision = SupervisionSettings.create(system);
    EntityTypeKey<EntityMessage> key = typeKey(type.name());
    keys.put(type.name(), key);
    Entity<EntityMessage, ShardingEnvelope<EntityMessage>> entity =
        Entity.of(
                key,
                entityContext ->
                    EntityGuard.wrap(
                        EntityInstance.behavior(
                            type,
                            entityContext.getEntityId(),
                            persistence,
                            supervision,
                            self ->
                                entityContext
                                    .getShard()
                                    .tell(new ClusterSharding.Passivate<>(self)),
                            null,
                            settings),
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
    sharding.init(entity);
    system.log().info("entity type '{}' started on sharding ({})", type.name(), type);
  }

  /**
   * The behaviour of one entity instance, supervised (restart with backoff, poison-command
   * quarantine, journal failures reported to the node's journal circuit), outside sharding: an
   * entity that supervision gives up on answers "unavailable" until it is stopped.
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
    return EntityInstance.behavior(
        type, entityId, persistence, supervision, self -> {}, router, null);
  }

  /** As above; {@code onGiveUp} receives the entity's actor when supervision gives up on it. */
  public static Behavior<EntityMessage> entityBehavior(
      EntityDefinition type,
      String entityId,
      PersistenceSettings persistence,
      SupervisionSettings supervision,
      Consumer<ActorRef<EntityMessage>> onGiveUp) {
    return EntityInstance.behavior(type, entityId, persistence, supervision, onGiveUp, null, null);
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
    return shards.placement(timeout);
  }

  /**
   * The shards of every registered type that live on this node, each with the ids of its running
   * entities (as this node's shard regions report them). A type whose region does not answer within
   * {@code timeout} is left out.
   */
  public CompletionStage<Map<String, Map<String, Set<String>>>> localShards(Duration timeout) {
    return shards.localShards(timeout);
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
    return asks.ask(sharding.entityRefFor(key, id), type, message, timeout);
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
}
