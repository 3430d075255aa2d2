package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HealthRoutesTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("HealthRoutesTest");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void readyIs503NamingEveryFailingCheck() throws Exception {
    HttpSettings settings =
        new HttpSettings(
            "127.0.0.1",
            0,
            Duration.ofSeconds(1),
            1024,
            1,
            Optional.empty(),
            Duration.ofSeconds(1));
    HealthRoutes health =
        new HealthRoutes(
            List.of(
                new ReadinessCheck(
                    "cluster", () -> CompletableFuture.completedFuture(Optional.empty())),
                new ReadinessCheck(
                    "journal",
                    () -> CompletableFuture.completedFuture(Optional.of("Cassandra unreachable"))),
                new ReadinessCheck(
                    "sharding",
                    () -> CompletableFuture.failedFuture(new IllegalStateException("x")))),
            settings);
    ServerBinding binding =
        StarfishHttpServer.bind(testKit.system(), health.route(), settings)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    try {
      HttpResponse response =
          Http.get(testKit.system())
              .singleRequest(
                  HttpRequest.GET(
                      "http://127.0.0.1:" + binding.localAddress().getPort() + "/health/ready"))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      String text =
          response
              .entity()
              .toStrict(5000, Materializer.matFromSystem(testKit.system()))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS)
              .getData()
              .decodeString(StandardCharsets.UTF_8);
      JsonNode body = EntityJson.MAPPER.readTree(text);

      assertThat(response.status().intValue()).isEqualTo(503);
      assertThat(response.getHeader("Retry-After")).isPresent();
      assertThat(body.get("type").asText()).isEqualTo(Problem.typeUri("not-ready"));
      assertThat(body.get("detail").asText())
          .contains("journal (Cassandra unreachable)")
          .contains("sharding (check failed")
          .doesNotContain("cluster");
      assertThat(body.get("checks").get("cluster").asText()).isEqualTo("ok");
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
