package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.internal.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad requests against a real node and Cassandra get the contract's 4xx problem+json and change
 * nothing: the account's version and balance are the same before and after all of them.
 */
@ExtendWith(TestCassandra.class)
class BadInputIT {

  private static final String A1 = "/api/v1/entities/account/a1";
  private static TestNode node;

  record Case(
      String method, String path, String contentType, String body, int status, String kind) {}

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("");
    HttpResponse<String> seeded = node.post(A1, "{\"type\":\"deposit\",\"amount\":100}");
    assertThat(seeded.statusCode()).as(seeded.body()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static List<Case> cases() {
    String json = "application/json";
    return List.of(
        new Case("POST", A1, json, "{\"type\":", 400, "invalid-json"),
        new Case("POST", A1, json, "not json", 400, "invalid-json"),
        new Case("POST", A1, json, "{} {}", 400, "invalid-json"),
        new Case(
            "POST",
            A1,
            json,
            "{\"type\":\"deposit\",\"amount\":1,\"amount\":2}",
            400,
            "invalid-json"),
        new Case("POST", A1, json, "[1,2]", 400, "invalid-command"),
        new Case("POST", A1, json, "{}", 400, "invalid-command"),
        new Case("POST", A1, json, "{\"type\":\"steal\",\"amount\":5}", 400, "invalid-command"),
        new Case("POST", A1, json, "{\"type\":\"deposit\"}", 400, "invalid-command"),
        new Case(
            "POST", A1, json, "{\"type\":\"deposit\",\"amount\":\"5\"}", 400, "invalid-command"),
        new Case("POST", A1, json, "{\"type\":\"deposit\",\"amount\":2.5}", 400, "invalid-command"),
        new Case(
            "POST", A1, json, "{\"type\":\"deposit\",\"amount\":1e99}", 400, "invalid-command"),
        new Case(
            "POST",
            A1,
            json,
            "{\"type\":\"deposit\",\"amount\":92233720368547758070}",
            400,
            "invalid-command"),
        new Case("POST", A1, json, "{\"type\":\"deposit\",\"amount\":0}", 400, "invalid-command"),
        new Case(
            "POST", A1, json, "{\"type\":\"deposit\",\"amount\":-100}", 400, "invalid-command"),
        new Case("POST", A1, json, "{\"type\":\"withdraw\",\"amount\":-1}", 400, "invalid-command"),
        new Case(
            "POST",
            A1,
            json,
            "{\"type\":\"deposit\",\"amount\":1,\"to\":\"x\"}",
            400,
            "invalid-command"),
        new Case(
            "POST", A1, json, "{\"type\":\"withdraw\",\"amount\":101}", 409, "command-rejected"),
        new Case(
            "POST",
            A1,
            json,
            "{\"type\":\"deposit\",\"amount\":" + Long.MAX_VALUE + "}",
            409,
            "command-rejected"),
        new Case(
            "POST",
            A1,
            "text/plain",
            "{\"type\":\"deposit\",\"amount\":1}",
            415,
            "unsupported-media-type"),
        new Case(
            "POST",
            A1,
            json,
            "{\"type\":\"deposit\",\"amount\":1,\"pad\":\"" + "x".repeat(70_000) + "\"}",
            413,
            "payload-too-large"),
        new Case(
            "POST",
            "/api/v1/entities/bank/a1",
            json,
            "{\"type\":\"deposit\",\"amount\":1}",
            404,
            "unknown-entity-type"),
        new Case("GET", "/api/v1/entities/bank/a1", null, null, 404, "unknown-entity-type"),
        new Case(
            "POST",
            "/api/v1/entities/account/a%20b",
            json,
            "{\"type\":\"deposit\",\"amount\":1}",
            400,
            "invalid-id"),
        new Case(
            "POST",
            "/api/v1/entities/account/" + "a".repeat(129),
            json,
            "{\"type\":\"deposit\",\"amount\":1}",
            400,
            "invalid-id"),
        new Case("GET", "/api/v1/entities/account/%C3%A9", null, null, 400, "invalid-id"),
        new Case("PUT", A1, json, "{\"type\":\"deposit\",\"amount\":1}", 405, "method-not-allowed"),
        new Case("DELETE", A1, null, null, 405, "method-not-allowed"),
        new Case("GET", "/api/v2/entities/account/a1", null, null, 404, "not-found"));
  }

  @Test
  void everyBadRequestGetsItsProblemAndChangesNothing() throws Exception {
    JsonNode before = Json.MAPPER.readTree(node.get(A1).body());

    for (Case c : cases()) {
      HttpRequest.Builder request = HttpRequest.newBuilder(node.uri(c.path()));
      request.method(
          c.method(),
          c.body() == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(c.body()));
      if (c.contentType() != null) {
        request.header("Content-Type", c.contentType());
      }
      HttpResponse<String> response = node.send(request.build());
      String label = c.method() + " " + abbreviate(c.path()) + " " + abbreviate(c.body());

      assertThat(response.statusCode()).as(label + " -> " + response.body()).isEqualTo(c.status());
      assertThat(response.headers().firstValue("Content-Type"))
          .as(label)
          .contains("application/problem+json");
      JsonNode problem = Json.MAPPER.readTree(response.body());
      assertThat(problem.get("type").asText())
          .as(label)
          .isEqualTo("urn:starfish:problem:" + c.kind());
      assertThat(problem.get("status").asInt()).as(label).isEqualTo(c.status());
      assertThat(problem.get("title").asText()).as(label).isNotBlank();
      assertThat(problem.get("detail").asText()).as(label).isNotBlank();
      assertThat(response.body()).as(label).doesNotContain("Exception");
    }

    JsonNode after = Json.MAPPER.readTree(node.get(A1).body());
    assertThat(after).isEqualTo(before);
    assertThat(after.get("version").asLong()).isEqualTo(1);
    assertThat(after.get("state").get("balance").asLong()).isEqualTo(100);
    HttpResponse<String> ready = node.get("/health/ready");
    assertThat(ready.statusCode()).as("the node is still healthy: " + ready.body()).isEqualTo(200);
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
