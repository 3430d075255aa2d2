package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DELETE of an entity on a real node and a real Cassandra: the answer carries the last version, the
 * entity's events and older snapshots leave Cassandra (one tombstone snapshot stays), and every
 * later request, also after a node restart, gets 410 and changes nothing.
 */
@ExtendWith(TestCassandra.class)
class EntityDeletionIT {

  // Snapshots every 2 events, so that there are older snapshots to remove as well.
  private static final String CONFIG = "starfish.persistence.snapshot-every = 2";
  private static final String ENTITY = "/api/v1/entities/account/del-1";
  private static final String PERSISTENCE_ID = "account|del-1";

  private static HttpRequest.Builder request(TestNode node, String path) {
    return HttpRequest.newBuilder(node.uri(path)).timeout(Duration.ofSeconds(20));
  }

  private static HttpResponse<String> post(TestNode node, String path, String json, String key)
      throws Exception {
    HttpRequest.Builder request =
        request(node, path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return node.send(request.build());
  }

  private static HttpResponse<String> delete(TestNode node, String path) throws Exception {
    return node.send(request(node, path).DELETE().build());
  }

  @Test
  void aDeletedEntityLeavesCassandraAndAnswers410EverAfterAlsoAfterARestart() throws Exception {
    try (TestNode node = TestNode.start(CONFIG)) {
      // Journal: 1 Deposited(10), 2 key record, 3 Deposited(20), 4 Deposited(30); snapshots at 2,
      // 4.
      assertThat(post(node, ENTITY, deposit(10), "d-1").statusCode()).isEqualTo(200);
      assertThat(post(node, ENTITY, deposit(20), null).statusCode()).isEqualTo(200);
      assertThat(post(node, ENTITY, deposit(30), null).statusCode()).isEqualTo(200);
      assertThat(post(node, "/api/v1/entities/account/del-2", deposit(5), null).statusCode())
          .isEqualTo(200);
      assertThat(rows("starfish.messages")).isEqualTo(4);

      HttpResponse<String> deleted = delete(node, ENTITY);
      assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
      OpenApiContract.assertConforms("DELETE", ENTITY, deleted);
      JsonNode body = EntityJson.MAPPER.readTree(deleted.body());
      assertThat(body.get("version").asLong()).isEqualTo(3);
      assertThat(body.get("deleted").asBoolean()).isTrue();

      // The events and older snapshots leave Cassandra; the tombstone snapshot stays.
      Awaitility.await("the journal of " + PERSISTENCE_ID + " erased")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> rows("starfish.messages") == 0 && rows("starfish_snapshot.snapshots") == 1);
      assertGone(node);
      // Another entity of the type is untouched.
      HttpResponse<String> other = node.get("/api/v1/entities/account/del-2");
      assertThat(EntityJson.MAPPER.readTree(other.body()).at("/state/balance").asLong())
          .isEqualTo(5);

      // What cannot be deleted, or is not an entity, is refused.
      HttpResponse<String> saga = delete(node, "/api/v1/entities/transfer/t-1");
      assertThat(saga.statusCode()).isEqualTo(405);
      assertThat(saga.headers().firstValue("Allow")).isPresent();
      OpenApiContract.assertConforms("DELETE", "/api/v1/entities/transfer/t-1", saga);
      assertThat(delete(node, "/api/v1/entities/nope/x").statusCode()).isEqualTo(404);
      assertThat(delete(node, "/api/v1/entities/account/a%20b").statusCode()).isEqualTo(400);
    }
    // A new incarnation recovers the tombstone alone: still deleted.
    try (TestNode node = TestNode.start(CONFIG)) {
      assertGone(node);
      assertThat(rows("starfish.messages")).isZero();
    }
  }

  /** Every kind of request gets 410 entity-deleted, and nothing is written. */
  private static void assertGone(TestNode node) throws Exception {
    List<HttpResponse<String>> answers =
        List.of(
            node.get(ENTITY),
            post(node, ENTITY, deposit(1), null),
            post(node, ENTITY, deposit(10), "d-1"),
            delete(node, ENTITY));
    for (HttpResponse<String> answer : answers) {
      assertThat(answer.statusCode())
          .as(answer.request().method() + " " + answer.body())
          .isEqualTo(410);
      assertThat(answer.body())
          .contains("urn:starfish:problem:entity-deleted")
          .contains("version 3");
      OpenApiContract.assertConforms(answer.request().method(), ENTITY, answer);
    }
    assertThat(rows("starfish.messages")).isZero();
  }

  private static long rows(String table) {
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      // Rows, not partitions: the fence is a static column, which a deletion of rows keeps.
      boolean journal = table.endsWith("messages");
      return session
          .execute(
              "SELECT "
                  + "sequence_nr"
                  + " FROM "
                  + table
                  + " WHERE persistence_id = ?"
                  + (journal ? " AND partition_nr = 0" : ""),
              PERSISTENCE_ID)
          .all()
          .stream()
          .filter(row -> !row.isNull(0))
          .count();
    }
  }

  private static String deposit(long amount) {
    return "{\"type\":\"deposit\",\"amount\":" + amount + "}";
  }
}
