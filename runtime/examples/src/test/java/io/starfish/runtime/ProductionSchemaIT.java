package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.CassandraSchema;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.persistence.testing.TestTools;
import io.starfish.runtime.internal.CassandraConfig;
import io.starfish.sharding.EntityJson;
import io.starfish.views.Views;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The production schema path: the CQL that {@code starfish-node schema} prints creates everything a
 * node needs, so that nodes run with autocreation off, recover from those tables, and never alter
 * the schema themselves; and deploy/cassandra/schema.cql is what the command prints.
 */
@ExtendWith(TestCassandra.class)
class ProductionSchemaIT {

  @Test
  void nodesRunAndRecoverOnTheSchemaTheCommandPrintsWithAutocreationOff() throws Exception {
    String keyspace = "schema_it_" + UUID.randomUUID().toString().substring(0, 8);
    String keyspaces =
        "pekko.persistence.cassandra.journal.keyspace = "
            + keyspace
            + "\npekko.persistence.cassandra.snapshot.keyspace = "
            + keyspace
            + "_snapshot\n";
    List<String> statements = statements(keyspaces, config -> config);
    try (CqlSession session = session()) {
      statements.forEach(session::execute);
      assertThat(fenceColumns(session, keyspace)).as("the fence column, from the script").isOne();
    }

    String node = keyspaces + "starfish.cassandra.schema-autocreate = off\n";
    try (TestNode first = TestNode.start(node)) {
      assertThat(first.post("/api/v1/entities/account/prod-a1", deposit(40)).statusCode())
          .isEqualTo(200);
      assertThat(first.post("/api/v1/entities/account/prod-a1", deposit(2)).statusCode())
          .isEqualTo(200);
    }
    try (TestNode second = TestNode.start(node)) {
      JsonNode account =
          EntityJson.MAPPER.readTree(second.get("/api/v1/entities/account/prod-a1").body());
      assertThat(account.get("version").asLong()).isEqualTo(2);
      assertThat(account.get("state").get("balance").asLong()).isEqualTo(42);
    }
    try (CqlSession session = session()) {
      assertThat(
              session
                  .execute(
                      "SELECT count(*) FROM "
                          + keyspace
                          + ".messages WHERE persistence_id = 'account|prod-a1' AND"
                          + " partition_nr = 0")
                  .one()
                  .getLong(0))
          .as("the events are in the keyspace the script created")
          .isEqualTo(2);
    }
  }

  @Test
  void theCheckedInSchemaIsWhatTheCommandPrintsForThreeReplicas() throws Exception {
    String printed =
        String.join(
                ";\n\n",
                statements("starfish.cassandra.replication-factor = 3\n", CassandraConfig::apply))
            + ";\n";
    String checkedIn =
        Files.readString(TestTools.projectRoot().resolve("deploy/cassandra/schema.cql"))
            .lines()
            .filter(line -> !line.startsWith("--"))
            .collect(java.util.stream.Collectors.joining("\n"))
            .strip();
    assertThat(checkedIn)
        .as("deploy/cassandra/schema.cql: regenerate it with bin/starfish-node schema")
        .isEqualTo(printed.strip());
  }

  private static List<String> statements(String overrides, Function<Config, Config> derive) {
    Config config =
        derive.apply(
            ConfigFactory.parseString("pekko.actor.provider = local\n" + overrides)
                .withFallback(ConfigFactory.load()));
    ActorSystem system = ActorSystem.create("ProductionSchemaIT", config);
    try {
      // the example application declares views: the command prints their tables too
      List<String> all = new java.util.ArrayList<>(CassandraSchema.statements(system));
      all.addAll(io.starfish.sharding.StarfishSharding.schemaStatements(config));
      all.addAll(Views.schemaStatements(config));
      return all;
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }

  private static long fenceColumns(CqlSession session, String keyspace) {
    return session
        .execute(
            "SELECT count(*) FROM system_schema.columns WHERE keyspace_name = ? AND table_name ="
                + " 'messages' AND column_name = 'starfish_fence'",
            keyspace)
        .one()
        .getLong(0);
  }

  private static String deposit(int amount) {
    return "{\"type\":\"deposit\",\"amount\":" + amount + "}";
  }

  private static CqlSession session() {
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
        .withLocalDatacenter("datacenter1")
        .build();
  }
}
