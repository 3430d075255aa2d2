package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.examples.Reservation;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityRegistry;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Durable timers on a real Cassandra: a reservation's hold expires by itself after its entity was
 * passivated, and after the node holding it was stopped and a new one started (the whole cluster
 * restarted) before it was due; a confirmed one never expires; each expired hold has exactly one
 * "expired" event in its journal.
 */
@ExtendWith(TestCassandra.class)
class TimersIT {

  // Entities passivate after 1 s idle: nothing keeps them in memory for their timers.
  private static final String CONFIG = "starfish.sharding.passivate-idle-after = 1s\n";

  private static final String RESERVATIONS = "/api/v1/entities/reservation/";

  @Test
  void holdsExpireByThemselvesAfterPassivationAndAFullRestartExactlyOnce() throws Exception {
    EntityRegistry entities = EntityRegistry.of(Reservation.TYPE);
    try (TestNode node = TestNode.start(CONFIG, entities)) {
      hold(node, "passivated", 3);
      hold(node, "confirmed", 3);
      assertThat(node.post(RESERVATIONS + "confirmed", "{\"type\":\"confirm\"}").statusCode())
          .isEqualTo(200);
      await(node, "passivated", "expired");
      // after restart: this one is due while its node is gone
      hold(node, "restarted", 6);
    }
    try (TestNode node = TestNode.start(CONFIG, entities)) {
      await(node, "restarted", "expired");
      assertThat(status(node, "confirmed")).isEqualTo("confirmed");
      for (String id : List.of("passivated", "restarted")) {
        assertThat(eventTypes(node, id)).as(id).containsExactly("held", "expired");
      }
      assertThat(eventTypes(node, "confirmed")).containsExactly("held", "confirmed");
      HttpResponse<String> late = node.post(RESERVATIONS + "passivated", "{\"type\":\"confirm\"}");
      assertThat(late.statusCode()).as(late.body()).isEqualTo(409);
      HttpResponse<String> forged = node.post(RESERVATIONS + "confirmed", "{\"type\":\"expire\"}");
      assertThat(forged.statusCode()).as(forged.body()).isEqualTo(400);
    }
  }

  private static void hold(TestNode node, String id, int seconds) throws Exception {
    HttpResponse<String> held =
        node.post(
            RESERVATIONS + id,
            "{\"type\":\"hold\",\"seats\":2,\"expiresInSeconds\":" + seconds + "}");
    assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
  }

  private static void await(TestNode node, String id, String status) {
    Awaitility.await(id + " " + status)
        .atMost(60, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> status.equals(status(node, id)));
  }

  private static String status(TestNode node, String id) throws Exception {
    HttpResponse<String> answer = node.get(RESERVATIONS + id);
    return answer.statusCode() == 200
        ? EntityJson.MAPPER.readTree(answer.body()).at("/state/status").asText()
        : "http " + answer.statusCode();
  }

  private static List<String> eventTypes(TestNode node, String id) throws Exception {
    JsonNode history = EntityJson.MAPPER.readTree(node.get(RESERVATIONS + id + "/events").body());
    List<String> types = new ArrayList<>();
    history.get("events").forEach(e -> types.add(e.get("type").asText()));
    return types;
  }
}
