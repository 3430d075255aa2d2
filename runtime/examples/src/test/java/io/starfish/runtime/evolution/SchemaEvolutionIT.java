package io.starfish.runtime.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.TestNode;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityRegistry;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Schema evolution on a real Cassandra (docs/schema-evolution.md): a node of a ledger's version 1
 * writes events and a snapshot under logical names; a node of version 2, whose classes live
 * elsewhere, with a field renamed, a required field added, one event split into two and the state
 * reshaped, recovers that journal and snapshot to the right state through the migrations registered
 * next to the entity, shows the old events in today's shape, and goes on writing.
 */
@ExtendWith(TestCassandra.class)
class SchemaEvolutionIT {

  private static final String ID = "evolving";
  private static final String LEDGER = "/api/v1/entities/ledger/" + ID;
  private static final String PERSISTENCE_ID = "ledger|" + ID;

  // A snapshot after 3 events: version 2 recovers from version 1's snapshot plus a later event.
  private static final String SNAPSHOTS = "starfish.persistence.snapshot-every = 3\n";

  @Test
  void versionTwoRecoversWhatVersionOneStoredThroughTheMigrationsRegisteredWithTheEntity()
      throws Exception {
    try (TestNode v1 = TestNode.start(SNAPSHOTS, EntityRegistry.of(LedgerV1.TYPE))) {
      for (long amount : List.of(100L, 250L, 5L)) {
        HttpResponse<String> added =
            v1.post(LEDGER, "{\"type\":\"add\",\"amount\":" + amount + "}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
      }
      HttpResponse<String> moved =
          v1.post(LEDGER, "{\"type\":\"move\",\"amount\":30,\"to\":\"savings\"}");
      assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
      JsonNode state = EntityJson.MAPPER.readTree(v1.get(LEDGER).body());
      assertThat(state.at("/state/total").asLong()).isEqualTo(325);
    }

    // Stored under logical names and versions, by Starfish's serializer: no class name anywhere.
    assertThat(stored("starfish.messages", true))
        .containsExactly(
            "7341 ledger.added#1",
            "7341 ledger.added#1",
            "7341 ledger.added#1",
            "7341 ledger.moved#1");
    assertThat(stored("starfish_snapshot.snapshots", false)).containsExactly("7341 ledger.state#1");

    try (TestNode v2 = TestNode.start(SNAPSHOTS, EntityRegistry.of(LedgerV2.TYPE))) {
      // From the snapshot ({total: 355} read as {totalCents: 355, notes: 0}) and event 4, the
      // retired "moved" read as Subtracted(30) and Noted. Without the state migration the snapshot
      // reads as totalCents 0 (-30 after event 4).
      JsonNode recovered = EntityJson.MAPPER.readTree(v2.get(LEDGER).body());
      assertThat(recovered.get("version").asLong()).isEqualTo(4);
      assertThat(recovered.at("/state/totalCents").asLong()).isEqualTo(325);
      assertThat(recovered.at("/state/notes").asInt()).isEqualTo(1);

      HttpResponse<String> added =
          v2.post(LEDGER, "{\"type\":\"add\",\"cents\":45,\"currency\":\"CHF\"}");
      assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
      assertThat(EntityJson.MAPPER.readTree(added.body()).at("/state/totalCents").asLong())
          .isEqualTo(370);

      // The history reads old events through the same migrations: all in today's shape, the split
      // event as its two parts under its one sequence number.
      JsonNode history = EntityJson.MAPPER.readTree(v2.get(LEDGER + "/events").body());
      List<String> events = new ArrayList<>();
      history
          .get("events")
          .forEach(
              event ->
                  events.add(
                      event.get("seqNr").asLong()
                          + " "
                          + event.get("type").asText()
                          + " "
                          + event.get("event")));
      assertThat(events)
          .containsExactly(
              "1 added {\"cents\":100,\"currency\":\"EUR\"}",
              "2 added {\"cents\":250,\"currency\":\"EUR\"}",
              "3 added {\"cents\":5,\"currency\":\"EUR\"}",
              "4 subtracted {\"cents\":30}",
              "4 noted {\"note\":\"moved to savings\"}",
              "5 added {\"cents\":45,\"currency\":\"CHF\"}");
    }
    assertThat(stored("starfish.messages", true)).last().isEqualTo("7341 ledger.added#2");
  }

  /** Serializer id and manifest of each stored row of the ledger, in sequence order. */
  private static List<String> stored(String table, boolean journal) {
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      List<String> rows = new ArrayList<>();
      for (Row row :
          session.execute(
              "SELECT ser_id, ser_manifest FROM "
                  + table
                  + " WHERE persistence_id = ?"
                  + (journal ? " AND partition_nr = 0" : ""),
              PERSISTENCE_ID)) {
        rows.add(row.getInt(0) + " " + row.getString(1));
      }
      return rows;
    }
  }
}
