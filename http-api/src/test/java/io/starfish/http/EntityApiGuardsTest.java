package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityGateway;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.EntityResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The entity API's guards: the in-flight bound (load shedding) and the optional bearer token. */
class EntityApiGuardsTest {

  private static ActorTestKit testKit;
  private static final HttpClient client = HttpClient.newHttpClient();
  private final List<CompletableFuture<EntityResult>> held = new ArrayList<>();
  private ServerBinding binding;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("EntityApiGuardsTest");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void unbind() throws Exception {
    held.forEach(answer -> answer.complete(new EntityResult.Unavailable("test over")));
    if (binding != null) {
      binding.terminate(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** A gateway whose entities answer only when the test completes their future. */
  private EntityGateway heldGateway() {
    return new EntityGateway() {
      @Override
      public EntityRegistry registry() {
        return EntityRegistry.of(EntityRoutesTest.ACCOUNT);
      }

      @Override
      public CompletionStage<EntityResult> ask(
          String type,
          String id,
          Function<ActorRef<EntityResult>, EntityMessage> message,
          Duration timeout) {
        CompletableFuture<EntityResult> answer = new CompletableFuture<>();
        synchronized (held) {
          held.add(answer);
        }
        return answer;
      }
    };
  }

  private int heldCount() {
    synchronized (held) {
      return held.size();
    }
  }

  private void bind(HttpSettings settings) throws Exception {
    var routes =
        Directives.concat(
            new EntityRoutes(heldGateway(), settings).route(),
            new HealthRoutes(List.of(), settings).route());
    binding =
        StarfishHttpServer.bind(testKit.system(), routes, settings)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  private static HttpSettings settings() {
    return new HttpSettings(
        "127.0.0.1", 0, Duration.ofSeconds(30), 1024, 1, Optional.empty(), Duration.ofSeconds(1));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path))
        .timeout(Duration.ofSeconds(20));
  }

  private CompletableFuture<HttpResponse<String>> deposit(String id, String authorization) {
    HttpRequest.Builder builder =
        request("/api/v1/entities/account/" + id)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"deposit\",\"amount\":1}"));
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return client.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aBurstBeyondTheInFlightBoundIsShedAtOnceWith503AndTheNodeStaysReady() throws Exception {
    bind(settings().withMaxInFlight(4));

    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      burst.add(deposit("a" + i, null));
    }
    // The four admitted requests wait for their entities; every other one is answered now,
    // while those four are still in flight.
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> burst.stream().filter(CompletableFuture::isDone).count() == 36);
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<HttpResponse<String>> shed =
        burst.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList();
    // The client sends concurrently, so which four got in depends on arrival order.
    List<CompletableFuture<HttpResponse<String>>> admitted =
        burst.stream().filter(answer -> !answer.isDone()).toList();
    assertThat(admitted).hasSize(4);
    // an admitted request reaches its entity only once its body is read: wait for all four
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> heldCount() == 4);
    for (HttpResponse<String> response : shed) {
      statuses.merge(response.statusCode(), 1, Integer::sum);
      assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
      JsonNode problem = EntityJson.MAPPER.readTree(response.body());
      assertThat(problem.get("type").asText()).isEqualTo("urn:starfish:problem:overloaded");
    }
    assertThat(statuses).isEqualTo(Map.of(503, 36));

    HttpResponse<String> ready =
        client.send(request("/health/ready").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);

    // When the entities answer, their slots are free again: the next request is admitted.
    synchronized (held) {
      held.forEach(
          answer ->
              answer.complete(
                  new EntityResult.Accepted(
                      1,
                      EntityJson.MAPPER.createObjectNode(),
                      EntityJson.MAPPER.createObjectNode())));
    }
    for (CompletableFuture<HttpResponse<String>> answer : admitted) {
      assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    var next = deposit("after", null);
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> heldCount() == 5);
    synchronized (held) {
      assertThat(held).hasSize(5);
      held.get(4).complete(new EntityResult.Rejected("no"));
    }
    assertThat(next.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(409);
  }

  @Test
  void withAnApiTokenTheEntityApiRefusesAMissingTokenWith401AndAWrongOneWith403() throws Exception {
    bind(settings().withApiToken("t0ken"));

    HttpResponse<String> none = deposit("a1", null).get(10, TimeUnit.SECONDS);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("urn:starfish:problem:unauthorized");

    HttpResponse<String> wrong = deposit("a1", "Bearer guess").get(10, TimeUnit.SECONDS);
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.body()).doesNotContain("t0ken");
    synchronized (held) {
      assertThat(held).isEmpty();
    }

    var right = deposit("a1", "Bearer t0ken");
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> heldCount() == 1);
    synchronized (held) {
      assertThat(held).hasSize(1);
      held.get(0)
          .complete(
              new EntityResult.Accepted(
                  1, EntityJson.MAPPER.createObjectNode(), EntityJson.MAPPER.createObjectNode()));
    }
    assertThat(right.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

    // Health stays open without a token: load balancers must be able to probe it.
    assertThat(
            client
                .send(request("/health/alive").GET().build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
  }
}
