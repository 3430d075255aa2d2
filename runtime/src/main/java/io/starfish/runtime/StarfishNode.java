package io.starfish.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.http.AdminRoutes;
import io.starfish.http.ClusterRoutes;
import io.starfish.http.DashboardRoutes;
import io.starfish.http.EntityRoutes;
import io.starfish.http.EventRoutes;
import io.starfish.http.EventStreams;
import io.starfish.http.HealthRoutes;
import io.starfish.http.HttpSettings;
import io.starfish.http.MetricsRoutes;
import io.starfish.http.OpenApiRoutes;
import io.starfish.http.ReadinessCheck;
import io.starfish.http.StreamRoutes;
import io.starfish.http.ViewRoutes;
import io.starfish.observability.HealingTimeline;
import io.starfish.observability.StarfishMetrics;
import io.starfish.persistence.CassandraSchema;
import io.starfish.persistence.JournalWarmUp;
import io.starfish.runtime.internal.CassandraConfig;
import io.starfish.runtime.internal.ClusterJoin;
import io.starfish.runtime.internal.CommonPool;
import io.starfish.runtime.internal.ManagementReadiness;
import io.starfish.runtime.internal.NodeLogging;
import io.starfish.runtime.internal.NodeMetrics;
import io.starfish.runtime.internal.NodeReadiness;
import io.starfish.runtime.internal.NodeServices;
import io.starfish.runtime.internal.SchemaCommand;
import io.starfish.runtime.internal.StdinWatchdog;
import io.starfish.sharding.EntityEvents;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.StarfishSharding;
import io.starfish.views.View;
import io.starfish.views.Views;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Starfish node: joins the cluster, starts sharding of every registered entity type, and serves
 * the HTTP API. {@link #run} is what an application's thin {@code main} calls; {@link #init} does
 * the wiring and is what tests call.
 */
public final class StarfishNode {

  static {
    // Before the logger below: logging's start (logback's async appender) already starts the
    // common pool, which fixes its parallelism. See CommonPool.
    CommonPool.ensureParallelism();
  }

  private static final Logger log = LoggerFactory.getLogger(StarfishNode.class);

  /** What {@link #init} started. */
  public record Running(ActorSystem<?> system, StarfishSharding sharding, ServerBinding http) {
    public int httpPort() {
      return http.localAddress().getPort();
    }
  }

  private StarfishNode() {}

  /**
   * An application's {@code main} is this one call. Without arguments it runs a node process
   * serving {@code entities}: loads the configuration (exits with status 2 on an invalid one),
   * creates the ActorSystem and calls {@link #init}; the JVM exits when the node has shut down
   * (SIGTERM, a leave, a downing). With the argument {@code schema} it prints the CQL that creates
   * the Cassandra keyspaces and tables for this configuration ({@link CassandraSchema}) and exits.
   */
  public static void run(String[] args, EntityRegistry entities) {
    run(args, entities, List.of());
  }

  /**
   * As {@link #run(String[], EntityRegistry)}, also running {@code views} (kept from the events of
   * the registered types; every node must declare the same ones).
   */
  public static void run(String[] args, EntityRegistry entities, List<View<?, ?>> views) {
    if (args.length == 1 && args[0].equals("schema")) {
      SchemaCommand.print(!views.isEmpty());
      return;
    }
    if (args.length > 0) {
      System.err.println(
          "usage: starfish-node            run a node\n"
              + "       starfish-node schema     print the CQL that creates the Cassandra schema");
      System.exit(2);
    }
    Optional<String> logFormat =
        NodeLogging.formatProblem(
            System.getProperty("starfish.log.format"), System.getenv("STARFISH_LOG_FORMAT"));
    if (logFormat.isPresent()) {
      System.err.println("starfish: " + logFormat.get());
      System.exit(2);
    }
    Config loaded;
    try {
      loaded = withStaticContactPoints(CassandraConfig.apply(ConfigFactory.load()));
    } catch (IllegalArgumentException e) {
      System.err.println("starfish: " + e.getMessage());
      System.exit(2);
      return;
    }
    // A node process exits when its ActorSystem has shut down (e.g. after SIGTERM or a leave).
    Config config =
        ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on").withFallback(loaded);
    NodeSettings node = NodeSettings.create(config);
    NodeLogging.nameNode(node.host() + ":" + node.remotePort()); // before the first log line
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "starfish", config);
    init(system, entities, views)
        .whenComplete(
            (running, failure) -> {
              if (failure != null) {
                log.error("node failed to start; shutting down", failure);
                system.terminate();
              }
            });
  }

  /**
   * With {@code starfish.node.join = bootstrap} and a static {@code starfish.node.contact-points}
   * list: adds that list as a pekko.discovery "config" service, which Cluster Bootstrap then uses.
   * Must be applied to the config the ActorSystem is created with ({@link #run} does); other
   * configs are returned unchanged.
   */
  public static Config withStaticContactPoints(Config config) {
    return ClusterJoin.withStaticContactPoints(config);
  }

  /** Joins the cluster, starts sharding and binds the HTTP API. */
  public static CompletionStage<Running> init(ActorSystem<?> system, EntityRegistry entities) {
    return init(system, entities, List.of());
  }

  /** Joins the cluster, starts sharding and the views' projections, and binds the HTTP API. */
  public static CompletionStage<Running> init(
      ActorSystem<?> system, EntityRegistry entities, List<View<?, ?>> views) {
    for (View<?, ?> view : views) {
      if (entities.find(view.sourceType()).isEmpty()) {
        throw new IllegalArgumentException(
            "view '" + view.name() + "' reads type '" + view.sourceType() + "', not registered");
      }
    }
    Config config = system.settings().config();
    NodeSettings node = NodeSettings.create(config);
    HttpSettings http = HttpSettings.create(config);

    NodeLogging.nameNode(node.host() + ":" + node.remotePort());
    CommonPool.problem().ifPresent(problem -> log.warn("{}", problem));
    ClusterJoin.join(system, node);
    if (node.exitWhenStdinCloses()) {
      StdinWatchdog.start(system);
    }
    // The journal is warm before this node registers shard regions: the shards that sharding
    // moves here right after (rebalance towards a new node) must not wait for the plugin's start.
    Duration warmUpTimeout = config.getDuration("starfish.persistence.warm-up-timeout");
    return JournalWarmUp.run(system, node.host() + ":" + node.remotePort(), warmUpTimeout)
        .thenCompose(warm -> startServices(system, entities, views, node, http));
  }

  private static CompletionStage<Running> startServices(
      ActorSystem<?> system,
      EntityRegistry entities,
      List<View<?, ?>> declaredViews,
      NodeSettings node,
      HttpSettings http) {
    StarfishSharding sharding = StarfishSharding.init(system, entities);
    Views views = Views.start(system, declaredViews);
    NodeMetrics.bind(system, entities.names());
    HealingTimeline.start(system, entities.names(), sharding::localShards);
    HealingTimeline timeline = HealingTimeline.get(system);

    List<ReadinessCheck> checks = NodeReadiness.checks(system, sharding::readinessProblem);
    ManagementReadiness.register(system, checks);

    EntityEvents journal = EntityEvents.create(system);
    EventStreams streams =
        new EventStreams(EventStreams.Settings.create(system.settings().config()), http);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "starfish-close-event-streams",
            () -> {
              streams.closeAll();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    var routes =
        Directives.concat(
            new EntityRoutes(sharding, http).route(),
            new EventRoutes(entities, journal, http, streams).route(),
            new StreamRoutes(entities, journal, http, streams).route(),
            new ViewRoutes(views, http).route(),
            new ClusterRoutes(system, sharding::placement, timeline::events, http).route(),
            new AdminRoutes(system, http, sharding::crash).route(),
            new HealthRoutes(checks, http).route(),
            new MetricsRoutes(StarfishMetrics.get(system)).route(),
            new OpenApiRoutes().route(),
            new DashboardRoutes().route());
    return NodeServices.start(system, routes, http, node.journalCheckInterval())
        .thenApply(
            binding -> {
              log.info(
                  "Starfish node started: HTTP {}://{}:{}, remoting {}:{}, entity types {}",
                  http.scheme(),
                  http.host(),
                  binding.localAddress().getPort(),
                  node.host(),
                  node.remotePort(),
                  entities.names());
              return new Running(system, sharding, binding);
            });
  }
}
