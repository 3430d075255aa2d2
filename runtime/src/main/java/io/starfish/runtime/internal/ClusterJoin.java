package io.starfish.runtime.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.starfish.runtime.NodeSettings;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How a node finds its cluster: seed nodes, a cluster of one, or Cluster Bootstrap. */
public final class ClusterJoin {

  private ClusterJoin() {}

  private static final Logger log = LoggerFactory.getLogger(ClusterJoin.class);

  /**
   * With {@code starfish.node.join = bootstrap} and a static {@code starfish.node.contact-points}
   * list: adds that list as a pekko.discovery "config" service, which Cluster Bootstrap then uses;
   * other configs are returned unchanged.
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

  /** Joins by seed nodes, forms a cluster of one, or starts Cluster Bootstrap, as configured. */
  public static void join(ActorSystem<?> system, NodeSettings node) {
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
}
