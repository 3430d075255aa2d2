package io.starfish.runtime.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Turns Starfish's few Cassandra keys ({@code starfish.cassandra.*}, see cassandra.conf) into the
 * driver's and the journal plugin's settings: the contact point list, the local data centre,
 * NetworkTopologyStrategy replication of the keyspaces the plugin creates, login and TLS.
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
    derived = withLogin(derived, config);
    derived = withTls(derived, config);
    return derived.withFallback(config);
  }

  private static Config withLogin(Config derived, Config config) {
    String user = optional(config, "username");
    String password = optional(config, "password");
    if (user.isEmpty() != password.isEmpty()) {
      throw new IllegalArgumentException(
          KEYS + "username and " + KEYS + "password must be set together (or both left empty)");
    }
    if (user.isEmpty()) {
      return derived;
    }
    String provider = "datastax-java-driver.advanced.auth-provider.";
    return derived
        .withValue(provider + "class", ConfigValueFactory.fromAnyRef("PlainTextAuthProvider"))
        .withValue(provider + "username", ConfigValueFactory.fromAnyRef(user))
        .withValue(provider + "password", ConfigValueFactory.fromAnyRef(password));
  }

  private static Config withTls(Config derived, Config config) {
    if (!config.hasPath(KEYS + "tls.enabled") || !config.getBoolean(KEYS + "tls.enabled")) {
      return derived;
    }
    String factory = "datastax-java-driver.advanced.ssl-engine-factory.";
    derived =
        derived
            .withValue(factory + "class", ConfigValueFactory.fromAnyRef("DefaultSslEngineFactory"))
            .withValue(
                factory + "hostname-validation",
                ConfigValueFactory.fromAnyRef(config.getBoolean(KEYS + "tls.hostname-validation")));
    String truststore = optional(config, "tls.truststore");
    if (truststore.isEmpty()) {
      return derived;
    }
    if (!Files.isReadable(Path.of(truststore))) {
      throw new IllegalArgumentException(
          KEYS + "tls.truststore: cannot read \"" + truststore + "\"");
    }
    return derived
        .withValue(factory + "truststore-path", ConfigValueFactory.fromAnyRef(truststore))
        .withValue(
            factory + "truststore-password",
            ConfigValueFactory.fromAnyRef(optional(config, "tls.truststore-password")));
  }

  private static String optional(Config config, String key) {
    return config.hasPath(KEYS + key) ? config.getString(KEYS + key).trim() : "";
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
