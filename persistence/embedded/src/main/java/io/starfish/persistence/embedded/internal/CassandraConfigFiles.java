package io.starfish.persistence.embedded.internal;

import io.starfish.persistence.embedded.EmbeddedCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The cassandra.yaml and logback.xml of a node, written into its folder at every start from its
 * settings (ports, ring place, password authentication), so a changed setting always takes effect.
 */
public final class CassandraConfigFiles {

  private CassandraConfigFiles() {}

  /** Writes both files into {@code dir}; returns the cassandra.yaml. */
  public static Path write(Path dir, EmbeddedCassandra.Settings s) {
    try {
      Path yamlFile = dir.resolve("cassandra.yaml");
      Files.writeString(yamlFile, yaml(dir, s));
      Files.writeString(logbackFile(dir), LOGBACK);
      return yamlFile;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Path logbackFile(Path dir) {
    return dir.resolve("logback.xml");
  }

  private static String yaml(Path dir, EmbeddedCassandra.Settings s) {
    String d = dir.toString();
    return String.join(
        "\n",
        "# Written by Starfish's EmbeddedCassandra at every start; edits are overwritten.",
        "cluster_name: starfish-embedded",
        "num_tokens: 1",
        "initial_token: " + s.ring().initialToken(),
        // The nodes of a new ring start empty: there is nothing to stream, so no bootstrap.
        // A node that replaces itself after losing its data streams it back (bootstrap).
        "auto_bootstrap: " + s.ring().replacesANode(),
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "endpoint_snitch: SimpleSnitch",
        // A write is acknowledged only once its commit-log section is synced. With
        // Cassandra's default (periodic, every 10 s) it is acknowledged at once, and a
        // kill -9 of the Cassandra process loses the acknowledged writes of the last seconds:
        // the bytes are in the page cache, but replay stops at the last sync marker. The
        // fault suite's kill -9 of Cassandra showed it (two acknowledged events lost). One
        // node has no replica to fall back on, so it must not acknowledge before the sync.
        "commitlog_sync: batch",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        "      - seeds: \"" + s.ring().seeds() + "\"",
        "listen_address: " + s.host(),
        "rpc_address: " + s.host(),
        "storage_port: " + s.storagePort(),
        "native_transport_port: " + s.cqlPort(),
        "start_native_transport: true",
        // PasswordAuthenticator comes with the default superuser cassandra/cassandra.
        "authenticator: "
            + (s.passwordAuthentication() ? "PasswordAuthenticator" : "AllowAllAuthenticator"),
        "authorizer: AllowAllAuthorizer",
        "data_file_directories:",
        "  - " + d + "/data",
        "commitlog_directory: " + d + "/commitlog",
        "saved_caches_directory: " + d + "/saved_caches",
        "hints_directory: " + d + "/hints",
        "cdc_raw_directory: " + d + "/cdc_raw",
        // Dev and test keyspaces are dropped and recreated freely; no snapshot on each drop.
        "auto_snapshot: false",
        "concurrent_compactors: 1",
        "");
  }

  private static final String LOGBACK =
      String.join(
          "\n",
          "<configuration>",
          "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
          "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} -"
              + " %msg%n</pattern></encoder>",
          "  </appender>",
          "  <root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root>",
          "</configuration>",
          "");
}
