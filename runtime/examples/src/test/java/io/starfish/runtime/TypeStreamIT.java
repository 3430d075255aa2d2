package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.http.testing.EventStreamClient;
import io.starfish.http.testing.EventStreamClient.Message;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.examples.ExampleNode;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityRegistry;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stream across every entity of a type ({@code GET /api/v1/streams/{type}}) on a real node and
 * Cassandra with events-by-tag on and {@code account} streamed: every event of every account, each
 * once, one account's in sequence order, idempotency records left out; a client that resumes after
 * an id gets every event after it, after a repeat of those just before it (the resume overlap);
 * types without a stream and bad ids are refused.
 */
@ExtendWith(TestCassandra.class)
class TypeStreamIT {

  private static String config() {
    String yesterday =
        LocalDate.now().minusDays(1).format(DateTimeFormatter.ofPattern("yyyyMMdd")) + "T00:00";
    return "pekko.persistence.cassandra.events-by-tag.enabled = on\n"
        + "pekko.persistence.cassandra.events-by-tag.first-time-bucket = \""
        + yesterday
        + "\"\n"
        + "pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay = 1s\n"
        // its own keyspace: the other tests' accounts (also tagged) are not in this stream
        + "pekko.persistence.cassandra.journal.keyspace = starfish_type_stream\n";
  }

  @Test
  void everyEventOfEveryStreamedEntityOnceAndResumedAfterAnId() throws Exception {
    EntityRegistry registry = ExampleNode.ENTITIES;
    try (TestNode node = TestNode.start(config(), registry)) {
      for (int round = 1; round <= 2; round++) {
        for (String id : List.of("ts-1", "ts-2", "ts-3")) {
          HttpRequest.Builder deposit =
              HttpRequest.newBuilder(node.uri("/api/v1/entities/account/" + id))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"type\":\"deposit\",\"amount\":" + round + "}"));
          if (round == 1) {
            deposit.header("Idempotency-Key", id + "-first");
          }
          assertThat(node.send(deposit.build()).statusCode()).isEqualTo(200);
        }
      }

      List<Message> all;
      try (EventStreamClient stream =
          EventStreamClient.open(node.uri("/api/v1/streams/account"), Optional.empty())) {
        assertThat(stream.status()).isEqualTo(200);
        awaitCount(stream, 6);
        all = stream.received();
      }
      assertThat(all).hasSize(6);
      Map<String, List<Long>> seqNrs = new HashMap<>();
      for (Message message : all) {
        JsonNode data = EntityJson.MAPPER.readTree(message.data());
        assertThat(message.event()).isEqualTo("deposited");
        seqNrs
            .computeIfAbsent(data.get("id").asText(), k -> new ArrayList<>())
            .add(data.get("seqNr").asLong());
      }
      // seqNr 2 of each account is its idempotency record, which streams leave out
      assertThat(seqNrs)
          .containsOnlyKeys("ts-1", "ts-2", "ts-3")
          .allSatisfy((id, numbers) -> assertThat(numbers).containsExactly(1L, 3L));

      // Resumed after the third event: every event after it, and before those again the events
      // of the type-resume-overlap before it (10 s, so here some or all of the first three), in
      // the stream's order; then a new one.
      try (EventStreamClient resumed =
          EventStreamClient.open(
              node.uri("/api/v1/streams/account"), Optional.of(all.get(2).id()))) {
        Awaitility.await("the events after the resume point")
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> resumed.received().contains(all.get(5)));
        List<Message> again = resumed.received();
        assertThat(again).hasSizeBetween(3, 6);
        assertThat(again).containsExactlyElementsOf(all.subList(6 - again.size(), 6));
        assertThat(
                node.post("/api/v1/entities/account/ts-4", "{\"type\":\"deposit\",\"amount\":9}")
                    .statusCode())
            .isEqualTo(200);
        awaitCount(resumed, again.size() + 1);
        JsonNode fresh = EntityJson.MAPPER.readTree(resumed.received().get(again.size()).data());
        assertThat(fresh.get("id").asText()).isEqualTo("ts-4");
      }

      HttpResponse<String> notStreamed = node.get("/api/v1/streams/counter");
      assertThat(notStreamed.statusCode()).isEqualTo(404);
      assertThat(notStreamed.body()).contains("stream-not-found");
      assertThat(node.get("/api/v1/streams/nope").statusCode()).isEqualTo(404);
      HttpResponse<String> badId =
          node.send(
              HttpRequest.newBuilder(node.uri("/api/v1/streams/account"))
                  .header("Last-Event-ID", "17")
                  .build());
      assertThat(badId.statusCode()).isEqualTo(400);
      HttpResponse<String> notTimeBased =
          node.send(
              HttpRequest.newBuilder(node.uri("/api/v1/streams/account"))
                  .header("Last-Event-ID", "3f8c2a4e-9b1d-4c6e-8f2a-1b3c5d7e9f10")
                  .build());
      assertThat(notTimeBased.statusCode()).isEqualTo(400);
      assertThat(notTimeBased.body()).contains("invalid-query");
    }
  }

  /** Waits for exactly {@code count} messages; more fails at once. */
  private static void awaitCount(EventStreamClient stream, int count) {
    Awaitility.await(count + " events")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              int received = stream.received().size();
              if (received > count) {
                throw new IllegalStateException(
                    "expected " + count + " events, received " + stream.received());
              }
              return received == count;
            });
  }
}
