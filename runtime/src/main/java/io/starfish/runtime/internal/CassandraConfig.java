package io.starfish.runtime.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.List;

/**
 * Turns Starfish's few Cassandra keys ({@code starfish.cassandra.*}, see cassandra.conf) into the
 * driver's and the journal plugin's settings: the contact point list, the local data centre, and
 * NetworkTopologyStrategy replication of the keyspaces the plugin creates.
 */
public final class CassandraConfig {

  private static final String KEYS = "starfish.cassandra.";

  private CassandraConfig() {}

  /**
   * {@code config} with the derived settings in front; unchanged if it has no {@code
   * starfish.cassandra.contact-points}. Fails with a message naming the key on a malformed value.
   */
  public static Config apply(Config config) {
    if (!config.hasPath(KEYS + "contact-points")) {
      return config;
    }
    List<String> points = contactPoints(config.getString(KEYS + "contact-points"));
    String dataCentre = config.getString(KEYS + "local-datacenter").trim();
    if (dataCentre.isEmpty()) {
      throw new IllegalArgumentException(KEYS + "local-datacenter must not be empty");
    }
    int replicas = config.getInt(KEYS + "replication-factor");
    if (replicas < 1) {
      throw new IllegalArgumentException(
          KEYS + "replication-factor must be at least 1, was " + replicas);
    }
    Config derived =
        ConfigFactory.empty()
            .withValue(
                "datastax-java-driver.basic.contact-points",
                ConfigValueFactory.fromIterable(points))
            .withValue(
                "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
                ConfigValueFactory.fromAnyRef(dataCentre));
    for (String store : List.of("journal", "snapshot")) {
      String path = "pekko.persistence.cassandra." + store;
      derived =
          derived
              .withValue(
                  path + ".replication-strategy",
                  ConfigValueFactory.fromAnyRef("NetworkTopologyStrategy"))
              .withValue(
                  path + ".data-center-replication-factors",
                  ConfigValueFactory.fromIterable(List.of(dataCentre + ":" + replicas)));
    }
    return derived.withFallback(config);
  }

  /** "host:port" entries of a comma-separated list; each must have a host and a valid port. */
  static List<String> contactPoints(String list) {
    List<String> points =
        Arrays.stream(list.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList();
    if (points.isEmpty()) {
      throw new IllegalArgumentException(KEYS + "contact-points is empty");
    }
    for (String point : points) {
      int colon = point.lastIndexOf(':');
      boolean valid = colon > 0;
      if (valid) {
        try {
          int port = Integer.parseInt(point.substring(colon + 1));
          valid = port > 0 && port < 65536;
        } catch (NumberFormatException e) {
          valid = false;
        }
      }
      if (!valid) {
        throw new IllegalArgumentException(
            KEYS + "contact-points: \"" + point + "\" is not host:port (in \"" + list + "\")");
      }
    }
    return points;
  }
}
