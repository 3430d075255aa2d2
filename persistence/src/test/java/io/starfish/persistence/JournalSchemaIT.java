package io.starfish.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.testing.TestCassandra;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Readiness waits for the journal's tables: missing tables are named, present ones pass. */
@ExtendWith(TestCassandra.class)
class JournalSchemaIT {

  @Test
  void reportsAMissingTableUntilTheJournalAndSnapshotTablesExist() throws Exception {
    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String journalKeyspace = "schema_it_j_" + suffix;
    String snapshotKeyspace = "schema_it_s_" + suffix;
    // No autocreate and no auto-started journal: the test decides when the tables appear.
    Config config =
        ConfigFactory.parseString(
                "pekko.persistence.journal.auto-start-journals = []\n"
                    + "pekko.persistence.snapshot-store.auto-start-snapshot-stores = []\n"
                    + "pekko.persistence.cassandra.journal.keyspace-autocreate = off\n"
                    + "pekko.persistence.cassandra.journal.tables-autocreate = off\n"
                    + "pekko.persistence.cassandra.snapshot.keyspace-autocreate = off\n"
                    + "pekko.persistence.cassandra.snapshot.tables-autocreate = off\n"
                    + "pekko.persistence.cassandra.journal.keyspace = "
                    + journalKeyspace
                    + "\n"
                    + "pekko.persistence.cassandra.snapshot.keyspace = "
                    + snapshotKeyspace
                    + "\n")
            .withFallback(TestCassandra.driverConfig())
            .withFallback(ConfigFactory.load())
            .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "schema-it", config);
    try (CqlSession cql =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      JournalSchema schema = JournalSchema.get(system);

      assertThat(check(schema))
          .hasValueSatisfying(
              problem -> assertThat(problem).contains(journalKeyspace + ".messages"));

      createKeyspace(cql, journalKeyspace);
      cql.execute("CREATE TABLE " + journalKeyspace + ".messages (id int PRIMARY KEY)");
      assertThat(check(schema))
          .hasValueSatisfying(
              problem -> assertThat(problem).contains(snapshotKeyspace + ".snapshots"));

      createKeyspace(cql, snapshotKeyspace);
      cql.execute("CREATE TABLE " + snapshotKeyspace + ".snapshots (id int PRIMARY KEY)");
      assertThat(check(schema)).isEmpty();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Optional<String> check(JournalSchema schema) throws Exception {
    return schema.check().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static void createKeyspace(CqlSession cql, String keyspace) {
    cql.execute(
        "CREATE KEYSPACE "
            + keyspace
            + " WITH replication = {'class':'SimpleStrategy','replication_factor':1}");
  }
}
