package io.starfish.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.examples.ExampleNode;
import io.starfish.sharding.EntityRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.awaitility.Awaitility;

/** A Starfish node in the test JVM, on free ports, against {@link TestCassandra}. */
public final class TestNode implements AutoCloseable {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final StarfishNode.Running running;

  private TestNode(StarfishNode.Running running) {
    this.running = running;
  }

  /** Starts a node (a cluster of one) and waits until /health/ready answers 200. */
  public static TestNode start(String extraConfig) throws Exception {
    return start(0, "", extraConfig);
  }

  /**
   * Starts a node on {@code remotePort} that joins {@code seedNodes} (host:port,...) and waits
   * until it is ready (an Up member with sharding started).
   */
  public static TestNode start(int remotePort, String seedNodes, String extraConfig)
      throws Exception {
    return start(remotePort, seedNodes, extraConfig, ExampleNode.ENTITIES);
  }

  /** A node of one that runs {@code entities} instead of the examples. */
  public static TestNode start(String extraConfig, EntityRegistry entities) throws Exception {
    return start(0, "", extraConfig, entities);
  }

  private static TestNode start(
      int remotePort, String seedNodes, String extraConfig, EntityRegistry entities)
      throws Exception {
    Config overrides =
        ConfigFactory.parseString(
                "starfish.node.remote-port = "
                    + remotePort
                    + "\n"
                    + "starfish.node.seed-nodes = \""
                    + seedNodes
                    + "\"\n"
                    + "starfish.http.port = 0\n"
                    + extraConfig)
            .withFallback(TestCassandra.driverConfig());
    Config config =
        ConfigFactory.load(
            overrides.withFallback(ConfigFactory.parseResources("application.conf")));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "starfish", config);
    StarfishNode.Running running =
        StarfishNode.init(
                system,
                entities,
                entities == ExampleNode.ENTITIES ? ExampleNode.VIEWS : java.util.List.of())
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    TestNode node = new TestNode(running);
    Awaitility.await("node ready")
        .atMost(60, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> node.get("/health/ready").statusCode() == 200);
    return node;
  }

  public HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> post(String path, String json) throws Exception {
    return send(
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  public HttpResponse<String> send(HttpRequest request) throws Exception {
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + running.httpPort() + path);
  }

  public StarfishNode.Running running() {
    return running;
  }

  public ActorSystem<?> system() {
    return running.system();
  }

  /** Stops the node the way SIGTERM would (CoordinatedShutdown) and waits for it. */
  @Override
  public void close() {
    running.system().terminate();
    running
        .system()
        .getWhenTerminated()
        .toCompletableFuture()
        .orTimeout(60, TimeUnit.SECONDS)
        .join();
  }
}
