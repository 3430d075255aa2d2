package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import io.starfish.persistence.testing.TestCassandra;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runnable distribution that {@code mvn package} builds (target/starfish-node/) is what gets
 * deployed: its lib/ carries nothing for dev or tests, and {@code bin/starfish-node} starts a node
 * that logs in to a real Cassandra which requires a password, serves requests, and leaves cleanly
 * on SIGTERM.
 */
class DistributionIT {

  private static final Path DISTRIBUTION = Path.of("target", "starfish-node");
  private static EmbeddedCassandra securedCassandra;

  @BeforeAll
  static void startCassandraWithLogin() {
    securedCassandra =
        EmbeddedCassandra.start(
            EmbeddedCassandra.Settings.in(
                    Path.of("target", "it-work", "cassandra-login-" + UUID.randomUUID()))
                .withPorts(TestCassandra.freePort(), TestCassandra.freePort())
                .withPasswordAuthentication());
  }

  @AfterAll
  static void stopCassandra() {
    if (securedCassandra != null) {
      securedCassandra.stop();
    }
  }

  @Test
  void libCarriesNoDevLauncherExamplesOnlyAsTheAppAndNoEmbeddedCassandra() throws Exception {
    List<String> jars;
    try (Stream<Path> files = Files.list(DISTRIBUTION.resolve("lib"))) {
      jars = files.map(f -> f.getFileName().toString()).sorted().toList();
    }
    assertThat(jars)
        .anyMatch(jar -> jar.startsWith("starfish-runtime-"))
        .anyMatch(jar -> jar.startsWith("starfish-examples-"))
        .noneMatch(jar -> jar.startsWith("starfish-dev-"))
        .noneMatch(jar -> jar.startsWith("starfish-persistence-embedded-"))
        .noneMatch(jar -> jar.startsWith("starfish-cassandra-server-"))
        .noneMatch(jar -> jar.startsWith("cassandra-all-"))
        .noneMatch(jar -> jar.contains("junit") || jar.contains("testkit"));
    assertThat(DISTRIBUTION.resolve("bin/starfish-node")).isExecutable();
  }

  @Test
  void binStarfishNodeServesAndLeavesOnSigterm() throws Exception {
    int httpPort = TestCassandra.freePort();
    int remotePort = TestCassandra.freePort();
    Path log = Path.of("target", "it-work", "logs", "distribution-node.log");
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(DISTRIBUTION.resolve("bin/starfish-node").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("JAVA_OPTS", "-Xmx256m");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("STARFISH_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().put("STARFISH_REMOTE_PORT", Integer.toString(remotePort));
    builder.environment().put("STARFISH_SEED_NODES", "127.0.0.1:" + remotePort);
    builder.environment().put("STARFISH_CASSANDRA_CONTACT_POINTS", securedCassandra.contactPoint());
    // Cassandra's default superuser: PasswordAuthenticator creates it at the first start.
    builder.environment().put("STARFISH_CASSANDRA_USERNAME", "cassandra");
    builder.environment().put("STARFISH_CASSANDRA_PASSWORD", "cassandra");
    assertThatThrownBy(
            () -> {
              try (CqlSession anonymous =
                  CqlSession.builder()
                      .addContactPoint(
                          new InetSocketAddress("127.0.0.1", securedCassandra.cqlPort()))
                      .withLocalDatacenter("datacenter1")
                      // Fail at once, not wait for Cassandra as the nodes' configuration says.
                      .withConfigLoader(
                          DriverConfigLoader.programmaticBuilder()
                              .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false)
                              .withStringList(DefaultDriverOption.CONTACT_POINTS, List.of())
                              .build())
                      .build()) {
                anonymous.execute("SELECT release_version FROM system.local");
              }
            })
        .as("this Cassandra refuses clients that do not log in")
        .hasStackTraceContaining("Authentication");
    Process node = builder.start();
    try {
      HttpClient client = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + httpPort);
      Awaitility.await("the distribution's node is ready (log: " + log + ")")
          .atMost(90, TimeUnit.SECONDS)
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () ->
                  client
                          .send(
                              HttpRequest.newBuilder(base.resolve("/health/ready")).build(),
                              HttpResponse.BodyHandlers.discarding())
                          .statusCode()
                      == 200);

      HttpResponse<String> deposit =
          client.send(
              HttpRequest.newBuilder(base.resolve("/api/v1/entities/account/dist-1"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"deposit\",\"amount\":7}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(deposit.statusCode()).as(deposit.body()).isEqualTo(200);
      assertThat(deposit.body()).contains("\"balance\":7");

      node.destroy(); // SIGTERM: the start script exec'd the JVM, so the JVM gets it
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("the node exits after SIGTERM").isTrue();
      assertThat(Files.readString(log))
          .as("the node left the cluster (CoordinatedShutdown ran)")
          .contains("as [Leaving]");
    } finally {
      node.destroyForcibly();
      node.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
