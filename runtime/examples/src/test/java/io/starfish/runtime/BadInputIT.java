package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

  /** Another account that must stay untouched (version 0) by the generated requests. */
  private static final String FRESH = "/api/v1/entities/account/fresh-1";

  /** One bad request and its expected answer; {@code kind} may list alternatives separated by |. */
  record Case(
      String method,
      String path,
      String contentType,
      String body,
      int status,
      String kind,
      Map<String, String> headers) {

    Case(String method, String path, String contentType, String body, int status, String kind) {
      this(method, path, contentType, body, status, kind, Map.of());
    }
  }

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
        // DELETE deletes a declared entity; a saga cannot be deleted, and a bad address is refused
        new Case("DELETE", "/api/v1/entities/transfer/t1", null, null, 405, "method-not-allowed"),
        new Case("DELETE", "/api/v1/entities/account/a%20b", null, null, 400, "invalid-id"),
        new Case("DELETE", "/api/v1/entities/nope/x", null, null, 404, "unknown-entity-type"),
        new Case("GET", "/api/v2/entities/account/a1", null, null, 404, "not-found"),
        // views: unknown view, missing or unknown parameters, numbers that are not, foreign cursors
        new Case("GET", "/api/v1/views/nope", null, null, 404, "view-not-found"),
        new Case("GET", "/api/v1/views/transfers-by-status", null, null, 400, "invalid-query"),
        new Case(
            "GET", "/api/v1/views/transfers-by-status?status=", null, null, 400, "invalid-query"),
        new Case(
            "GET",
            "/api/v1/views/transfers-by-status?status=pending&min=1",
            null,
            null,
            400,
            "invalid-query"),
        new Case("GET", "/api/v1/views/account-balances?min=x", null, null, 400, "invalid-query"),
        new Case(
            "GET", "/api/v1/views/account-balances?min=5&max=4", null, null, 400, "invalid-query"),
        new Case(
            "GET",
            "/api/v1/views/account-balances?max=99999999999999999999",
            null,
            null,
            400,
            "invalid-query"),
        new Case("GET", "/api/v1/views/account-balances?limit=0", null, null, 400, "invalid-query"),
        new Case(
            "GET", "/api/v1/views/account-balances?limit=1001", null, null, 400, "invalid-query"),
        new Case(
            "GET",
            "/api/v1/views/account-balances?cursor=bm9wZQ",
            null,
            null,
            400,
            "invalid-query"),
        new Case(
            "GET",
            "/api/v1/views/account-balances?cursor=%21%21",
            null,
            null,
            400,
            "invalid-query"),
        new Case("GET", "/api/v1/views/account-balances?sort=id", null, null, 400, "invalid-query"),
        new Case("POST", "/api/v1/views/account-balances", json, "{}", 405, "method-not-allowed"));
  }

  /**
   * Generated hostile and boundary requests: field values of every JSON kind and of absurd size,
   * command names, JSON that is not quite JSON, entity ids and types, media types, methods,
   * idempotency keys and body sizes, each against two accounts.
   */
  static List<Case> generated() {
    String json = "application/json";
    List<Case> cases = new ArrayList<>();
    List<String> invalidAmounts =
        List.of(
            "\"5\"",
            "5.5",
            "1e3",
            "1E3",
            "-1",
            "0",
            "-0",
            "null",
            "true",
            "false",
            "[]",
            "{}",
            "\"\"",
            "[1]",
            "{\"value\":5}",
            "9223372036854775808",
            "-9223372036854775809",
            "1E400",
            "1e-400",
            "0.0",
            "-5.5",
            "99999999999999999999999999",
            "-9223372036854775808",
            "\"1e3\"",
            "\"NaN\"",
            "1.0");
    List<String> notJsonAmounts =
        List.of(
            "NaN",
            "Infinity",
            "-Infinity",
            "0x10",
            "01",
            "+1",
            "1.",
            ".5",
            "- 1",
            "1_000",
            "'5'",
            "five");
    List<String> accounts = List.of(A1, FRESH);
    for (String account : accounts) {
      for (String command : List.of("deposit", "withdraw")) {
        for (String amount : invalidAmounts) {
          cases.add(
              new Case(
                  "POST",
                  account,
                  json,
                  "{\"type\":\"" + command + "\",\"amount\":" + amount + "}",
                  400,
                  "invalid-command"));
        }
        for (String amount : notJsonAmounts) {
          cases.add(
              new Case(
                  "POST",
                  account,
                  json,
                  "{\"type\":\"" + command + "\",\"amount\":" + amount + "}",
                  400,
                  "invalid-json"));
        }
      }
      for (String amount : List.of("101", "1000000", "9223372036854775807")) {
        cases.add(
            new Case(
                "POST",
                account,
                json,
                "{\"type\":\"withdraw\",\"amount\":" + amount + "}",
                409,
                "command-rejected"));
      }
      for (String type :
          List.of(
              "null",
              "1",
              "\"\"",
              "\"DEPOSIT\"",
              "\"deposit \"",
              "\" deposit\"",
              "\"Deposit\"",
              "\"depos\\u0000it\"",
              "\"" + "x".repeat(1000) + "\"",
              "\"__proto__\"",
              "\"constructor\"",
              "\"getState\"",
              "\"steal\"",
              "[\"deposit\"]",
              "{\"deposit\":1}",
              "true",
              "\"\\ud800\"",
              "\"deposit\\n\"")) {
        cases.add(
            new Case(
                "POST",
                account,
                json,
                "{\"type\":" + type + ",\"amount\":1}",
                400,
                "invalid-command"));
      }
      for (String body :
          List.of(
              "",
              " ",
              "\n",
              "null",
              "true",
              "1",
              "\"deposit\"",
              "[]",
              "[{\"type\":\"deposit\",\"amount\":1}]",
              "{\"type\":\"deposit\",\"amount\":1,}",
              "{'type':'deposit','amount':1}",
              "{type:\"deposit\",amount:1}",
              "/*c*/{\"type\":\"deposit\",\"amount\":1}",
              "{\"type\":\"deposit\",\"amount\":1}//",
              "{\"type\":\"deposit\",\"amount\":1} x",
              "{\"type\":\"deposit\",\"amount\":1}{}",
              "\uFEFF{\"type\":\"deposit\",\"amount\":1}",
              "{\"type\":\"deposit\",\"amount\":1,\"type\":\"withdraw\"}",
              "[".repeat(5000) + "]".repeat(5000),
              "{\"a\":".repeat(3000) + "1" + "}".repeat(3000),
              "{\"type\":\"deposit\",\"amount\":1,\"extra\":null}",
              "{\"type\":\"deposit\",\"amount\":1,\"amount2\":1}",
              "{\"amount\":1}",
              "{\"type\":\"deposit\"",
              "{\"type\":\"deposit,\"amount\":1}",
              "{\"type\":\"deposit\",\"amount\":" + "1".repeat(5000) + "}",
              "{\"type\":\"deposit\",\"amount\":1,\"pad\":\"" + "\\u0041".repeat(5000) + "\"}",
              "{\"type\":\"deposit\",\"amount\":{\"$gt\":0}}",
              "{\"type\":\"deposit\",\"amount\":1,\"__proto__\":{\"admin\":true}}",
              "\u0000")) {
        cases.add(new Case("POST", account, json, body, 400, "invalid-json|invalid-command"));
      }
      for (String contentType :
          List.of(
              "text/plain",
              "application/xml",
              "application/x-www-form-urlencoded",
              "multipart/form-data; boundary=x",
              "application/jsonx",
              "application/problem+json",
              "application/octet-stream",
              "text/json")) {
        cases.add(
            new Case(
                "POST",
                account,
                contentType,
                "{\"type\":\"deposit\",\"amount\":1}",
                415,
                "unsupported-media-type"));
      }
      for (String method : List.of("PUT", "PATCH")) {
        cases.add(
            new Case(
                method,
                account,
                json,
                "{\"type\":\"deposit\",\"amount\":1}",
                405,
                "method-not-allowed"));
      }
      for (String key : List.of("x".repeat(256), "has space", "tab\tinside")) {
        cases.add(
            new Case(
                "POST",
                account,
                json,
                "{\"type\":\"deposit\",\"amount\":1}",
                400,
                "invalid-idempotency-key",
                Map.of("Idempotency-Key", key)));
      }
      for (int size : List.of(64 * 1024 + 1, 100_000, 900_000)) {
        cases.add(
            new Case(
                "POST",
                account,
                json,
                "{\"type\":\"deposit\",\"amount\":1,\"pad\":\"" + "x".repeat(size) + "\"}",
                413,
                "payload-too-large"));
      }
    }
    for (String id :
        List.of(
            "a%20b",
            "a%2Fb",
            "%00",
            "a%00b",
            "%C3%A9",
            "a*b",
            "a~b",
            "a!b",
            "a$b",
            "a'b",
            "a(b",
            "a,b",
            "a;b",
            "a=b",
            "a@b",
            "a%7Bb",
            "a%22b",
            "a%3Cscript%3E",
            "x".repeat(129),
            "x".repeat(1000))) {
      cases.add(
          new Case(
              "POST",
              "/api/v1/entities/account/" + id,
              json,
              "{\"type\":\"deposit\",\"amount\":1}",
              400,
              "invalid-id"));
      cases.add(new Case("GET", "/api/v1/entities/account/" + id, null, null, 400, "invalid-id"));
    }
    for (String type :
        List.of("bank", "ACCOUNT", "accounts", "account%20", "x".repeat(300), "a%2Fb", "%00")) {
      cases.add(
          new Case(
              "POST",
              "/api/v1/entities/" + type + "/a1",
              json,
              "{\"type\":\"deposit\",\"amount\":1}",
              404,
              "unknown-entity-type"));
      cases.add(
          new Case(
              "GET", "/api/v1/entities/" + type + "/a1", null, null, 404, "unknown-entity-type"));
    }
    return cases;
  }

  @Test
  void everyBadRequestGetsItsProblemAndChangesNothing() throws Exception {
    JsonNode before = EntityJson.MAPPER.readTree(node.get(A1).body());
    List<Case> all = new ArrayList<>(cases());
    all.addAll(generated());
    Map<Integer, Integer> statuses = new TreeMap<>();

    for (Case c : all) {
      HttpRequest.Builder request = HttpRequest.newBuilder(node.uri(c.path()));
      request.method(
          c.method(),
          c.body() == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(c.body()));
      if (c.contentType() != null) {
        request.header("Content-Type", c.contentType());
      }
      c.headers().forEach(request::header);
      HttpResponse<String> response = node.send(request.build());
      String label = c.method() + " " + abbreviate(c.path()) + " " + abbreviate(c.body());

      assertThat(response.statusCode()).as(label + " -> " + response.body()).isEqualTo(c.status());
      assertThat(response.headers().firstValue("Content-Type"))
          .as(label)
          .contains("application/problem+json");
      JsonNode problem = EntityJson.MAPPER.readTree(response.body());
      assertThat(problem.get("type").asText())
          .as(label)
          .isIn(
              java.util.Arrays.stream(c.kind().split("\\|"))
                  .map(kind -> "urn:starfish:problem:" + kind)
                  .toList());
      assertThat(problem.get("status").asInt()).as(label).isEqualTo(c.status());
      assertThat(problem.get("title").asText()).as(label).isNotBlank();
      assertThat(problem.get("detail").asText()).as(label).isNotBlank();
      assertThat(response.body()).as(label).doesNotContain("Exception");
      if (OpenApiContract.template(c.path()).isPresent()) {
        OpenApiContract.assertConforms(c.method(), c.path(), response);
      }
      statuses.merge(response.statusCode(), 1, Integer::sum);
    }
    System.out.println(
        "[bad-input] " + all.size() + " hostile requests, statuses seen: " + statuses);
    assertThat(all).hasSizeGreaterThan(300);

    JsonNode after = EntityJson.MAPPER.readTree(node.get(A1).body());
    assertThat(after).isEqualTo(before);
    assertThat(after.get("version").asLong()).isEqualTo(1);
    assertThat(after.get("state").get("balance").asLong()).isEqualTo(100);
    JsonNode fresh = EntityJson.MAPPER.readTree(node.get(FRESH).body());
    assertThat(fresh.get("version").asLong()).isZero();
    assertThat(fresh.get("state").get("balance").asLong()).isZero();
    HttpResponse<String> ready = node.get("/health/ready");
    assertThat(ready.statusCode()).as("the node is still healthy: " + ready.body()).isEqualTo(200);
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
