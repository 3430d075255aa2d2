package io.starfish.runtime.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.TestNode;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The recipe of docs/schema-evolution.md on a real Cassandra: a node of version 1 writes a ledger's
 * events and a snapshot; a node of version 2, whose event class moved, renamed a field and gained a
 * required one, recovers that journal to the right state through a Pekko JacksonMigration, shows
 * the old events in the new shape, and goes on writing.
 */
@ExtendWith(TestCassandra.class)
class SchemaEvolutionIT {

  private static final String LEDGER = "/api/v1/entities/ledger/l-1";

  // Snapshots every 2 events: version 2 recovers from a snapshot plus events written after it.
  private static final String SNAPSHOTS = "starfish.persistence.snapshot-every = 2\n";

  private static final String MIGRATION =
      "pekko.serialization.jackson.migrations {\n"
          + "  \"io.starfish.runtime.evolution.LedgerV1$Added\" ="
          + " \"io.starfish.runtime.evolution.AddedMigration\"\n"
          + "}\n";

  @Test
  void versionTwoRecoversTheJournalThatVersionOneWroteThroughItsMigration() throws Exception {
    try (TestNode v1 = TestNode.start(SNAPSHOTS, EntityRegistry.of(LedgerV1.TYPE))) {
      for (long amount : List.of(100L, 250L, 5L)) {
        HttpResponse<String> added =
            v1.post(LEDGER, "{\"type\":\"add\",\"amount\":" + amount + "}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
      }
      JsonNode state = EntityJson.MAPPER.readTree(v1.get(LEDGER).body());
      assertThat(state.at("/state/total").asLong()).isEqualTo(355);
    }

    try (TestNode v2 = TestNode.start(SNAPSHOTS + MIGRATION, EntityRegistry.of(LedgerV2.TYPE))) {
      JsonNode recovered = EntityJson.MAPPER.readTree(v2.get(LEDGER).body());
      assertThat(recovered.get("version").asLong()).isEqualTo(3);
      assertThat(recovered.at("/state/total").asLong()).isEqualTo(355);

      HttpResponse<String> added =
          v2.post(LEDGER, "{\"type\":\"add\",\"cents\":45,\"currency\":\"CHF\"}");
      assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
      assertThat(EntityJson.MAPPER.readTree(added.body()).at("/state/total").asLong())
          .isEqualTo(400);

      // The history reads the old events through the same migration: every event in today's shape.
      JsonNode history = EntityJson.MAPPER.readTree(v2.get(LEDGER + "/events").body());
      List<String> events = new ArrayList<>();
      history.get("events").forEach(event -> events.add(event.get("event").toString()));
      assertThat(events)
          .containsExactly(
              "{\"cents\":100,\"currency\":\"EUR\"}",
              "{\"cents\":250,\"currency\":\"EUR\"}",
              "{\"cents\":5,\"currency\":\"EUR\"}",
              "{\"cents\":45,\"currency\":\"CHF\"}");
    }
  }
}
