package io.starfish.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.starfish.http.AdminRoutes;
import io.starfish.http.ClusterRoutes;
import io.starfish.http.DashboardRoutes;
import io.starfish.http.EntityRoutes;
import io.starfish.http.HealthRoutes;
import io.starfish.http.HttpSettings;
import io.starfish.http.MetricsRoutes;
import io.starfish.http.OpenApiRoutes;
import io.starfish.http.ReadinessCheck;
import io.starfish.http.SagaRoutes;
import io.starfish.observability.HealingTimeline;
import io.starfish.observability.StarfishMetrics;
import io.starfish.persistence.CassandraSchema;
import io.starfish.persistence.JournalCircuit;
import io.starfish.persistence.JournalSchema;
import io.starfish.persistence.JournalWarmUp;
import io.starfish.runtime.internal.CassandraConfig;
import io.starfish.runtime.internal.ManagementReadiness;
import io.starfish.runtime.internal.NodeLogging;
import io.starfish.runtime.internal.NodeMetrics;
import io.starfish.runtime.internal.NodeServices;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.StarfishSharding;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Starfish node: joins the cluster, starts sharding of every registered entity type, and serves
 * the HTTP API. {@link #run} is what an application's thin {@code main} calls; {@link #init} does
 * the wiring and is what tests call.
 */
public final class StarfishNode {

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
    if (args.length == 1 && args[0].equals("schema")) {
      printSchema();
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
    init(system, entities)
        .whenComplete(
            (running, failure) -> {
              if (failure != null) {
                log.error("node failed to start; shutting down", failure);
                system.terminate();
              }
            });
  }

  private static void printSchema() {
    // Standard output carries only the CQL (for cqlsh -f); the actor system logs nothing.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    Config config;
    try {
      config = CassandraConfig.apply(ConfigFactory.load());
    } catch (IllegalArgumentException e) {
      System.err.println("starfish: " + e.getMessage());
      System.exit(2);
      return;
    }
    org.apache.pekko.actor.ActorSystem system =
        org.apache.pekko.actor.ActorSystem.create(
            "starfish-schema",
            ConfigFactory.parseString(
                    "pekko.actor.provider = local\npekko.loglevel = ERROR\n"
                        + "pekko.coordinated-shutdown.exit-jvm = off")
                .withFallback(config));
    try {
      System.out.print(CassandraSchema.script(system));
      System.out.flush();
    } finally {
      system.terminate();
    }
  }

  /**
   * With {@code starfish.node.join = bootstrap} and a static {@code starfish.node.contact-points}
   * list: adds that list as a pekko.discovery "config" service, which Cluster Bootstrap then uses.
   * Must be applied to the config the ActorSystem is created with ({@link #run} does); other
   * configs are returned unchanged.
   */
  public static Config withStaticContactPoints(Config config) {
    NodeSettings node = NodeSettings.create(config);
    if (node.join() != NodeSettings.Join.BOOTSTRAP || node.contactPoints().isEmpty()) {
      return config;
    }
    String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery";
    String service = config.getString(discovery + ".service-name");
    List<Map<String, Object>> endpoints =
        node.contactPoints().stream()
            .map(
                hostPort -> {
                  int colon = hostPort.lastIndexOf(':');
                  return Map.<String, Object>of(
                      "host",
                      hostPort.substring(0, colon),
                      "port",
                      Integer.parseInt(hostPort.substring(colon + 1)));
                })
            .toList();
    return ConfigFactory.empty()
        .withValue(
            "pekko.discovery.config.services." + service + ".endpoints",
            ConfigValueFactory.fromIterable(endpoints))
        .withValue(discovery + ".discovery-method", ConfigValueFactory.fromAnyRef("config"))
        // Every listed contact point must answer anyway (contact-with-all-contact-points), so a
        // list of one (a single dev node) may form its cluster alone.
        .withValue(
            discovery + ".required-contact-point-nr",
            ConfigValueFactory.fromAnyRef(node.contactPoints().size()))
        .withFallback(config);
  }

  /** Joins the cluster, starts sharding and binds the HTTP API. */
  public static CompletionStage<Running> init(ActorSystem<?> system, EntityRegistry entities) {
    Config config = system.settings().config();
    NodeSettings node = NodeSettings.create(config);
    HttpSettings http = HttpSettings.create(config);

    NodeLogging.nameNode(node.host() + ":" + node.remotePort());
    joinCluster(system, node);
    if (node.exitWhenStdinCloses()) {
      shutDownWhenStdinCloses(system);
    }
    // The journal is warm before this node registers shard regions: the shards that sharding
    // moves here right after (rebalance towards a new node) must not wait for the plugin's start.
    Duration warmUpTimeout = config.getDuration("starfish.persistence.warm-up-timeout");
    return JournalWarmUp.run(system, node.host() + ":" + node.remotePort(), warmUpTimeout)
        .thenCompose(warm -> startServices(system, entities, node, http));
  }

  private static CompletionStage<Running> startServices(
      ActorSystem<?> system, EntityRegistry entities, NodeSettings node, HttpSettings http) {
    StarfishSharding sharding = StarfishSharding.init(system, entities);
    NodeMetrics.bind(system, entities.names());
    HealingTimeline.start(system, entities.names(), sharding::localShards);
    HealingTimeline timeline = HealingTimeline.get(system);
    JournalCircuit journal = JournalCircuit.get(system);

    Cluster cluster = Cluster.get(system);
    List<ReadinessCheck> checks =
        List.of(
            new ReadinessCheck(
                "cluster",
                () ->
                    CompletableFuture.completedFuture(
                        memberProblem(cluster.selfMember().status()))),
            new ReadinessCheck("sharding", sharding::readinessProblem),
            new ReadinessCheck("journal", journal::check),
            new ReadinessCheck("journal-schema", JournalSchema.get(system)::check),
            new ReadinessCheck(
                "shutdown",
                () ->
                    CompletableFuture.completedFuture(
                        CoordinatedShutdown.get(system)
                            .getShutdownReason()
                            .map(reason -> "node is shutting down (" + reason + ")"))));

    ManagementReadiness.register(system, checks);

    var routes =
        Directives.concat(
            new EntityRoutes(sharding, http).route(),
            new ClusterRoutes(system, sharding::placement, timeline::events, http).route(),
            new SagaRoutes(sharding::pendingSagas, http).route(),
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

  /** Readiness of the cluster membership: only an Up member serves. */
  private static Optional<String> memberProblem(MemberStatus status) {
    if (status == MemberStatus.up()) {
      return Optional.empty();
    }
    // Before it has joined, a node reports itself as Removed.
    return Optional.of(
        status == MemberStatus.removed() ? "not a cluster member yet" : "member is " + status);
  }

  private static void joinCluster(ActorSystem<?> system, NodeSettings node) {
    Cluster cluster = Cluster.get(system);
    if (node.join() == NodeSettings.Join.BOOTSTRAP) {
      bootstrap(system, node);
      return;
    }
    if (node.seedNodes().isEmpty()) {
      log.info("no seed nodes configured: forming a cluster of one");
      cluster
          .manager()
          .tell(new org.apache.pekko.cluster.typed.Join(cluster.selfMember().address()));
      return;
    }
    List<Address> seeds =
        node.seedNodes().stream()
            .map(
                hostPort -> {
                  int colon = hostPort.lastIndexOf(':');
                  return new Address(
                      "pekko",
                      system.name(),
                      hostPort.substring(0, colon),
                      Integer.parseInt(hostPort.substring(colon + 1)));
                })
            .collect(Collectors.toList());
    Address self = cluster.selfMember().address();
    if (node.joinExistingOnly() && seeds.remove(self)) {
      // Pekko's first seed may form a new cluster; any other seed only joins an existing one.
      seeds.add(self);
      log.info(
          "join-existing-only: this node will not form a new cluster; it joins the one of {}",
          seeds.subList(0, seeds.size() - 1));
    }
    log.info("joining the cluster through seed nodes {}", seeds);
    cluster.manager().tell(new JoinSeedNodes(seeds));
  }

  /**
   * Cluster Bootstrap: the management endpoint first (other nodes probe it), then the probing of
   * the contact points, which ends in joining a cluster that one of them reports or, when none is
   * in a cluster and this node has the lowest address among them, in forming one.
   */
  private static void bootstrap(ActorSystem<?> system, NodeSettings node) {
    Config discovery =
        system
            .settings()
            .config()
            .getConfig("pekko.management.cluster.bootstrap.contact-point-discovery");
    log.info(
        "joining by Cluster Bootstrap: management endpoint {}:{}, contact points {}",
        node.host(),
        node.managementPort(),
        node.contactPoints().isEmpty()
            ? "from discovery method " + discovery.getString("discovery-method")
            : node.contactPoints());
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    PekkoManagement.get(classic)
        .start()
        .whenComplete(
            (uri, failure) -> {
              if (failure != null) {
                log.error("the management endpoint failed to start: cannot bootstrap", failure);
                system.terminate();
              } else {
                log.info("management endpoint bound at {}", uri);
              }
            });
    ClusterBootstrap.get(classic).start();
  }

  /** The dev launcher holds our stdin; when it goes away, so do we (gracefully). */
  private static void shutDownWhenStdinCloses(ActorSystem<?> system) {
    Thread watchdog =
        new Thread(
            () -> {
              InputStream in = System.in;
              byte[] buffer = new byte[64];
              try {
                while (in.read(buffer) >= 0) {
                  // nothing is ever written; wait for end of stream
                }
              } catch (IOException e) {
                // a broken pipe means the same as end of stream
              }
              log.warn("standard input closed (launcher gone): shutting down");
              CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.jvmExitReason());
            },
            "starfish-stdin-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
