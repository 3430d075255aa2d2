package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP API of a real node with a real Cassandra: the OpenAPI document against the routes and
 * the answers, idempotency keys across a node restart, and load shedding under a burst.
 */
@ExtendWith(TestCassandra.class)
class HttpApiIT {

  private static final String ENTITY = "/api/v1/entities/{type}/{id}";

  /** The routes a node serves (the contract in design.md, section 3, and the dashboard). */
  private static final List<String> SERVED =
      List.of(
          "POST " + ENTITY,
          "GET " + ENTITY,
          "DELETE " + ENTITY,
          "GET " + ENTITY + "/events",
          "GET " + ENTITY + "/events/stream",
          "GET /api/v1/streams/{type}",
          "GET /api/v1/cluster",
          "GET /api/v1/cluster/shards",
          "GET /api/v1/cluster/events",
          "GET /api/v1/views",
          "GET /api/v1/views/{view}",
          "POST /api/v1/admin/leave",
          "POST /api/v1/admin/entities/{type}/{id}/crash",
          "GET /metrics",
          "GET /",
          "POST /api/v1/admin/partition",
          "DELETE /api/v1/admin/partition",
          "GET /health/alive",
          "GET /health/ready",
          "GET /api/v1/openapi.json");

  private static HttpRequest.Builder json(TestNode node, String path, String body) {
    return HttpRequest.newBuilder(node.uri(path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  @Test
  void theOpenApiDocumentDescribesEveryRouteAndTheAnswersTheNodeGives() throws Exception {
    try (TestNode node =
        TestNode.start(
            "starfish.http.admin-token = \"adm1n\"\n"
                + "pekko.persistence.cassandra.events-by-tag.enabled = on")) {
      HttpResponse<String> served = node.get("/api/v1/openapi.json");
      assertThat(served.statusCode()).isEqualTo(200);
      JsonNode document = EntityJson.MAPPER.readTree(served.body());
      assertThat(document).isEqualTo(OpenApiContract.DOCUMENT);
      assertThat(document.get("openapi").asText()).isEqualTo("3.1.0");
      assertThat(OpenApiContract.operations()).containsExactlyInAnyOrderElementsOf(SERVED);

      // One real request per documented operation; each answer must be documented.
      Map<String, HttpRequest> samples = new LinkedHashMap<>();
      String account = "/api/v1/entities/account/oa-1";
      samples.put(
          "POST " + ENTITY, json(node, account, "{\"type\":\"deposit\",\"amount\":5}").build());
      samples.put("GET " + ENTITY, HttpRequest.newBuilder(node.uri(account)).build());
      samples.put(
          "DELETE " + ENTITY,
          HttpRequest.newBuilder(node.uri("/api/v1/entities/account/oa-deleted")).DELETE().build());
      samples.put(
          "GET " + ENTITY + "/events",
          HttpRequest.newBuilder(node.uri(account + "/events?limit=10")).build());
      // The 200 of a stream never ends (EventHistoryIT reads it); the documented 400 does.
      // counter is not streamed: the documented 404 (TypeStreamIT reads a stream)
      samples.put(
          "GET /api/v1/streams/{type}",
          HttpRequest.newBuilder(node.uri("/api/v1/streams/counter")).build());
      samples.put(
          "GET " + ENTITY + "/events/stream",
          HttpRequest.newBuilder(node.uri(account + "/events/stream"))
              .header("Last-Event-ID", "not-a-number")
              .build());
      samples.put(
          "GET /api/v1/cluster", HttpRequest.newBuilder(node.uri("/api/v1/cluster")).build());
      samples.put(
          "GET /api/v1/cluster/shards",
          HttpRequest.newBuilder(node.uri("/api/v1/cluster/shards")).build());
      samples.put(
          "GET /api/v1/cluster/events",
          HttpRequest.newBuilder(node.uri("/api/v1/cluster/events")).build());
      samples.put(
          "POST /api/v1/admin/entities/{type}/{id}/crash",
          HttpRequest.newBuilder(node.uri("/api/v1/admin/entities/account/oa-crash/crash"))
              .header("Authorization", "Bearer adm1n")
              .POST(HttpRequest.BodyPublishers.noBody())
              .build());
      samples.put("GET /metrics", HttpRequest.newBuilder(node.uri("/metrics")).build());
      samples.put("GET /", HttpRequest.newBuilder(node.uri("/")).build());
      samples.put("GET /api/v1/views", HttpRequest.newBuilder(node.uri("/api/v1/views")).build());
      samples.put(
          "GET /api/v1/views/{view}",
          HttpRequest.newBuilder(node.uri("/api/v1/views/transfers-by-status?status=pending"))
              .build());
      // without the token: a 401, so that the node does not actually leave
      samples.put(
          "POST /api/v1/admin/leave",
          HttpRequest.newBuilder(node.uri("/api/v1/admin/leave"))
              .POST(HttpRequest.BodyPublishers.noBody())
              .build());
      // with the token, on a node without Artery's test mode: 409 partition-unavailable
      samples.put(
          "POST /api/v1/admin/partition",
          json(node, "/api/v1/admin/partition", "{\"peers\":[\"pekko://starfish@127.0.0.1:1\"]}")
              .header("Authorization", "Bearer adm1n")
              .build());
      samples.put(
          "DELETE /api/v1/admin/partition",
          HttpRequest.newBuilder(node.uri("/api/v1/admin/partition"))
              .header("Authorization", "Bearer adm1n")
              .DELETE()
              .build());
      samples.put("GET /health/alive", HttpRequest.newBuilder(node.uri("/health/alive")).build());
      samples.put("GET /health/ready", HttpRequest.newBuilder(node.uri("/health/ready")).build());
      samples.put(
          "GET /api/v1/openapi.json",
          HttpRequest.newBuilder(node.uri("/api/v1/openapi.json")).build());
      assertThat(samples.keySet()).containsExactlyInAnyOrderElementsOf(SERVED);
      for (var sample : samples.entrySet()) {
        HttpResponse<String> response = node.send(sample.getValue());
        assertThat(response.statusCode()).as(sample.getKey()).isLessThan(500);
        OpenApiContract.assertConforms(
            sample.getValue().method(), sample.getValue().uri().getPath(), response);
      }

      // The entity answers clients see besides success.
      List<HttpResponse<String>> more = new ArrayList<>();
      more.add(node.send(json(node, account, "{\"type\":\"withdraw\",\"amount\":500}").build()));
      more.add(node.send(json(node, account, "{\"type\":\"withdraw\",\"amount\":0}").build()));
      more.add(node.send(json(node, account, "{\"type\":").build()));
      more.add(node.send(json(node, "/api/v1/entities/nope/x", "{}").build()));
      more.add(
          node.send(
              json(node, account, "{\"type\":\"deposit\",\"amount\":1}")
                  .header("Idempotency-Key", "k1")
                  .build()));
      more.add(
          node.send(
              json(node, account, "{\"type\":\"deposit\",\"amount\":1}")
                  .header("Idempotency-Key", "k1")
                  .build()));
      more.add(
          node.send(
              json(node, account, "{\"type\":\"deposit\",\"amount\":2}")
                  .header("Idempotency-Key", "k1")
                  .build()));
      assertThat(more.stream().map(HttpResponse::statusCode).toList())
          .containsExactly(409, 400, 400, 404, 200, 200, 400);
      for (HttpResponse<String> response : more) {
        OpenApiContract.assertConforms(
            response.request().method(), response.request().uri().getPath(), response);
      }
    }
  }

  @Test
  void aKeyedCommandIsAppliedOnceAlsoWhenRetriedAfterTheNodeRestarted() throws Exception {
    String account = "/api/v1/entities/account/idem-restart";
    // snapshots every 2 events: the keys must survive in snapshots as well as in events
    String config = "starfish.persistence.snapshot-every = 2";
    JsonNode original;
    try (TestNode node = TestNode.start(config)) {
      for (int i = 1; i <= 3; i++) {
        HttpResponse<String> response =
            node.send(
                json(node, account, "{\"type\":\"deposit\",\"amount\":" + i + "}")
                    .header("Idempotency-Key", "d-" + i)
                    .build());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      }
      HttpResponse<String> rejected =
          node.send(
              json(node, account, "{\"type\":\"withdraw\",\"amount\":100}")
                  .header("Idempotency-Key", "w-1")
                  .build());
      assertThat(rejected.statusCode()).isEqualTo(409);
      original =
          EntityJson.MAPPER.readTree(
              node.send(
                      json(node, account, "{\"type\":\"deposit\",\"amount\":2}")
                          .header("Idempotency-Key", "d-2")
                          .build())
                  .body());
    }
    try (TestNode node = TestNode.start(config)) {
      HttpResponse<String> retry =
          node.send(
              json(node, account, "{\"amount\":2,\"type\":\"deposit\"}")
                  .header("Idempotency-Key", "d-2")
                  .build());
      assertThat(retry.statusCode()).isEqualTo(200);
      assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(EntityJson.MAPPER.readTree(retry.body())).isEqualTo(original);
      assertThat(original.get("version").asLong()).isEqualTo(2);

      // a deposit makes the withdrawal possible now, but its retry keeps the original rejection
      node.send(json(node, account, "{\"type\":\"deposit\",\"amount\":500}").build());
      HttpResponse<String> rejectedAgain =
          node.send(
              json(node, account, "{\"type\":\"withdraw\",\"amount\":100}")
                  .header("Idempotency-Key", "w-1")
                  .build());
      assertThat(rejectedAgain.statusCode()).isEqualTo(409);
      assertThat(rejectedAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");

      JsonNode state = EntityJson.MAPPER.readTree(node.get(account).body());
      assertThat(state.get("version").asLong()).isEqualTo(4);
      assertThat(state.get("state").get("balance").asLong()).isEqualTo(1 + 2 + 3 + 500);
    }
  }

  @Test
  void aBurstBeyondTheInFlightBoundGetsFast503sNeverAHangAndTheNodeStaysReady() throws Exception {
    try (TestNode node = TestNode.start("starfish.http.max-in-flight = 2")) {
      String account = "/api/v1/entities/account/burst-1";
      HttpClient client = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        // one entity: its commands are handled one after another, so requests pile up
        burst.add(
            client.sendAsync(
                json(node, account, "{\"type\":\"deposit\",\"amount\":3}").build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      Map<Integer, Integer> statuses = new TreeMap<>();
      long accepted = 0;
      for (var pending : burst) {
        HttpResponse<String> response = pending.get(30, TimeUnit.SECONDS);
        statuses.merge(response.statusCode(), 1, Integer::sum);
        if (response.statusCode() == 200) {
          accepted++;
        } else {
          assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
          assertThat(response.body()).contains("urn:starfish:problem:overloaded");
          assertThat(response.headers().firstValue("Retry-After")).isPresent();
        }
        OpenApiContract.assertConforms("POST", account, response);
      }
      assertThat(statuses.getOrDefault(503, 0)).as("statuses %s", statuses).isPositive();
      assertThat(accepted).as("statuses %s", statuses).isPositive();

      assertThat(node.get("/health/ready").statusCode()).isEqualTo(200);
      // what was shed changed nothing: exactly the accepted deposits were applied
      JsonNode state = EntityJson.MAPPER.readTree(node.get(account).body());
      assertThat(state.get("version").asLong()).isEqualTo(accepted);
      assertThat(state.get("state").get("balance").asLong()).isEqualTo(3 * accepted);
    }
  }
}
