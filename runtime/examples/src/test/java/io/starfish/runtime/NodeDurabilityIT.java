package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Events written through HTTP survive a full stop of the node and of Cassandra: the state read
 * after both start again is the state before, and the entity keeps working from there.
 */
@ExtendWith(TestCassandra.class)
class NodeDurabilityIT {

  private static final String SNAPSHOT_EVERY_5 = "starfish.persistence.snapshot-every = 5\n";

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return EntityJson.MAPPER.readTree(response.body());
  }

  @Test
  void stateWrittenThroughHttpIsReadBackAfterNodeAndCassandraRestart() throws Exception {
    try (TestNode node = TestNode.start(SNAPSHOT_EVERY_5)) {
      json(
          node.post("/api/v1/entities/account/durable-a1", "{\"type\":\"deposit\",\"amount\":50}"));
      json(
          node.post("/api/v1/entities/account/durable-a1", "{\"type\":\"deposit\",\"amount\":30}"));
      JsonNode afterWithdraw =
          json(
              node.post(
                  "/api/v1/entities/account/durable-a1", "{\"type\":\"withdraw\",\"amount\":20}"));
      assertThat(afterWithdraw.get("version").asLong()).isEqualTo(3);
      assertThat(afterWithdraw.get("state").get("balance").asLong()).isEqualTo(60);

      for (int i = 1; i <= 12; i++) {
        json(
            node.post(
                "/api/v1/entities/counter/durable-c1",
                "{\"type\":\"increment\",\"by\":" + i + "}"));
      }
    }
    assertThat(snapshotsOf("counter|durable-c1"))
        .as("snapshot-every = 5 wrote snapshots of the counter to Cassandra")
        .isGreaterThanOrEqualTo(1);

    TestCassandra.stop();
    TestCassandra.instance();

    try (TestNode node = TestNode.start(SNAPSHOT_EVERY_5)) {
      JsonNode account = json(node.get("/api/v1/entities/account/durable-a1"));
      assertThat(account.get("version").asLong()).isEqualTo(3);
      assertThat(account.get("state").get("balance").asLong()).isEqualTo(60);

      JsonNode counter = json(node.get("/api/v1/entities/counter/durable-c1"));
      assertThat(counter.get("version").asLong()).isEqualTo(12);
      assertThat(counter.get("state").get("value").asLong()).isEqualTo(78);

      JsonNode next =
          json(
              node.post(
                  "/api/v1/entities/account/durable-a1", "{\"type\":\"deposit\",\"amount\":1}"));
      assertThat(next.get("version").asLong()).isEqualTo(4);
      assertThat(next.get("state").get("balance").asLong()).isEqualTo(61);
    }
  }

  private static long snapshotsOf(String persistenceId) {
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      return session
          .execute(
              "SELECT count(*) FROM starfish_snapshot.snapshots WHERE persistence_id = ?",
              persistenceId)
          .one()
          .getLong(0);
    }
  }
}
