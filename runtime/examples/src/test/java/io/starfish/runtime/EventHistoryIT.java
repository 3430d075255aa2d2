package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.http.testing.EventStreamClient;
import io.starfish.http.testing.EventStreamClient.Message;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An entity's history and live event stream, read from a real Cassandra journal through a real
 * node: pages that add up to the entity's state, Starfish's own journal entries left out, bad
 * queries refused, and a stream that goes on after Last-Event-ID with nothing missed or repeated.
 */
@ExtendWith(TestCassandra.class)
class EventHistoryIT {

  private static TestNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start("");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static HttpResponse<String> command(String entity, String json, String key)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(node.uri(entity))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return node.send(request.build());
  }

  @Test
  void pagesOfTheHistoryAddUpToTheStateAndLeaveOutIdempotencyRecords() throws Exception {
    String entity = "/api/v1/entities/account/hist-1";
    // Journal: 1 Deposited(10), 2 key record, 3 Deposited(5), 4 key record (a rejection),
    // 5 Withdrawn(3), 6..12 Deposited(1..7).
    assertThat(command(entity, "{\"type\":\"deposit\",\"amount\":10}", "k1").statusCode())
        .isEqualTo(200);
    assertThat(command(entity, "{\"type\":\"deposit\",\"amount\":5}", null).statusCode())
        .isEqualTo(200);
    assertThat(command(entity, "{\"type\":\"withdraw\",\"amount\":100}", "k2").statusCode())
        .isEqualTo(409);
    assertThat(command(entity, "{\"type\":\"withdraw\",\"amount\":3}", null).statusCode())
        .isEqualTo(200);
    for (int i = 1; i <= 7; i++) {
      assertThat(command(entity, "{\"type\":\"deposit\",\"amount\":" + i + "}", null).statusCode())
          .isEqualTo(200);
    }
    JsonNode state = EntityJson.MAPPER.readTree(node.get(entity).body());

    List<JsonNode> events = new ArrayList<>();
    List<Long> nexts = new ArrayList<>();
    String next = "1";
    while (next != null) {
      HttpResponse<String> page = node.get(entity + "/events?limit=4&from=" + next);
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      OpenApiContract.assertConforms("GET", entity + "/events", page);
      JsonNode body = EntityJson.MAPPER.readTree(page.body());
      assertThat(body.get("type").asText()).isEqualTo("account");
      assertThat(body.get("id").asText()).isEqualTo("hist-1");
      assertThat(body.get("events").size()).isLessThanOrEqualTo(4);
      body.get("events").forEach(events::add);
      next = body.get("next").isNull() ? null : body.get("next").asText();
      if (next != null) {
        nexts.add(Long.parseLong(next));
      }
    }
    assertThat(nexts).containsExactly(7L, 11L);
    assertThat(events.stream().map(e -> e.get("seqNr").asLong()).toList())
        .containsExactly(1L, 3L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
    assertThat(events).hasSize(state.get("version").asInt());

    long balance = 0;
    Instant previous = Instant.EPOCH;
    for (JsonNode event : events) {
      long amount = event.get("event").get("amount").asLong();
      switch (event.get("type").asText()) {
        case "deposited" -> balance += amount;
        case "withdrawn" -> balance -= amount;
        default -> throw new AssertionError("unexpected event " + event);
      }
      Instant written = Instant.parse(event.get("timestamp").asText());
      assertThat(written).isAfterOrEqualTo(previous);
      previous = written;
    }
    assertThat(balance).isEqualTo(state.get("state").get("balance").asLong()).isEqualTo(40);

    // A never-written entity has an empty history; bad queries are refused and change nothing.
    JsonNode empty =
        EntityJson.MAPPER.readTree(node.get("/api/v1/entities/account/hist-none/events").body());
    assertThat(empty.get("events").size()).isZero();
    assertThat(empty.get("next").isNull()).isTrue();
    for (String bad :
        List.of(
            entity + "/events?from=0",
            entity + "/events?limit=1001",
            entity + "/events?limit=0",
            entity + "/events?limit=abc",
            entity + "/events?from=99999999999999999999",
            "/api/v1/entities/account/a%20b/events",
            "/api/v1/entities/nope/x/events")) {
      HttpResponse<String> answer = node.get(bad);
      assertThat(answer.statusCode()).as(bad).isIn(400, 404);
      assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      OpenApiContract.assertConforms("GET", bad.replaceAll("\\?.*", ""), answer);
    }
    assertThat(EntityJson.MAPPER.readTree(node.get(entity).body())).isEqualTo(state);
  }

  @Test
  void theStreamSendsTheHistoryThenLiveEventsAndResumesAfterLastEventId() throws Exception {
    String entity = "/api/v1/entities/account/sse-1";
    for (int i = 1; i <= 3; i++) {
      assertThat(command(entity, "{\"type\":\"deposit\",\"amount\":" + i + "}", null).statusCode())
          .isEqualTo(200);
    }
    try (EventStreamClient stream =
        EventStreamClient.open(node.uri(entity + "/events/stream"), Optional.empty())) {
      assertThat(stream.status()).isEqualTo(200);
      awaitIds(stream, List.of("1", "2", "3"));
      // Written while the client listens: it arrives without a new request.
      assertThat(command(entity, "{\"type\":\"withdraw\",\"amount\":2}", null).statusCode())
          .isEqualTo(200);
      awaitIds(stream, List.of("1", "2", "3", "4"));
      Message withdrawn = stream.received().get(3);
      assertThat(withdrawn.event()).isEqualTo("withdrawn");
      JsonNode data = EntityJson.MAPPER.readTree(withdrawn.data());
      assertThat(data.get("seqNr").asLong()).isEqualTo(4);
      assertThat(data.get("event").get("amount").asLong()).isEqualTo(2);
    }

    // A client that saw up to 2 reconnects: 3 and 4, then the next live one, each once.
    try (EventStreamClient resumed =
        EventStreamClient.open(node.uri(entity + "/events/stream"), Optional.of("2"))) {
      awaitIds(resumed, List.of("3", "4"));
      assertThat(command(entity, "{\"type\":\"deposit\",\"amount\":9}", null).statusCode())
          .isEqualTo(200);
      awaitIds(resumed, List.of("3", "4", "5"));
    }
    try (EventStreamClient fromFive =
        EventStreamClient.open(node.uri(entity + "/events/stream?from=5"), Optional.empty())) {
      awaitIds(fromFive, List.of("5"));
    }

    HttpResponse<String> bad =
        node.send(
            HttpRequest.newBuilder(node.uri(entity + "/events/stream"))
                .header("Last-Event-ID", "-1")
                .build());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("urn:starfish:problem:invalid-query");
  }

  /**
   * Waits until the stream has received exactly {@code ids}, in order; an event out of order,
   * repeated or beyond them fails at once.
   */
  private static void awaitIds(EventStreamClient stream, List<String> ids) {
    Awaitility.await("events " + ids)
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              List<String> seen = stream.received().stream().map(Message::id).toList();
              if (seen.size() > ids.size() || !seen.equals(ids.subList(0, seen.size()))) {
                throw new IllegalStateException("expected ids " + ids + ", received " + seen);
              }
              assertThat(seen).hasSize(ids.size());
            });
  }
}
