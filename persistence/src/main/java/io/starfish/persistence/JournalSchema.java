package io.starfish.persistence;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For readiness: whether the journal's and the snapshot store's tables exist. On a fresh Cassandra
 * the journal creates them when the node starts (tables-autocreate), which can take several seconds
 * on a busy machine; a node that reported ready before that would answer its first requests with
 * 503 while they wait for the schema. Once the tables were seen, the answer is remembered: tables
 * are not dropped under a running node.
 */
public final class JournalSchema implements Extension {

  private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);

  private static final ExtensionId<JournalSchema> ID =
      new ExtensionId<>() {
        @Override
        public JournalSchema createExtension(ActorSystem<?> system) {
          return new JournalSchema(system);
        }
      };

  private record Table(String keyspace, String name) {
    @Override
    public String toString() {
      return keyspace + "." + name;
    }
  }

  private final CassandraSession session;
  private final List<Table> tables;
  private final Duration timeout;
  private volatile boolean seen;

  private JournalSchema(ActorSystem<?> system) {
    Config config = system.settings().config();
    String plugin = config.getString("pekko.persistence.journal.plugin");
    if (plugin.startsWith("pekko.persistence.cassandra")) {
      this.session =
          CassandraSessionRegistry.get(system).sessionFor(JournalHealth.SESSION_CONFIG_PATH);
      this.tables =
          List.of(
              table(config, "pekko.persistence.cassandra.journal", "table"),
              table(config, "pekko.persistence.cassandra.snapshot", "table"));
    } else {
      // Other journals (the in-memory one of unit tests) have no schema to wait for.
      this.session = null;
      this.tables = List.of();
      this.seen = true;
    }
    this.timeout = PersistenceSettings.create(system).healthCheckTimeout();
  }

  private static Table table(Config config, String path, String key) {
    return new Table(config.getString(path + ".keyspace"), config.getString(path + "." + key));
  }

  public static JournalSchema get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Empty once every table exists, else which one is missing (or why it could not be asked). */
  public CompletionStage<Optional<String>> check() {
    if (seen) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    CompletableFuture<Optional<String>> missing = CompletableFuture.completedFuture(null);
    for (Table table : tables) {
      missing =
          missing.thenCompose(
              found ->
                  found != null
                      ? CompletableFuture.completedFuture(found)
                      : exists(table)
                          .thenApply(
                              exists ->
                                  exists
                                      ? null
                                      : Optional.of(
                                          "table "
                                              + table
                                              + " not created yet (the journal"
                                              + " creates it at start when tables-autocreate"
                                              + " is on)")));
    }
    return missing
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (problem, failure) -> {
              if (failure != null) {
                return Optional.of("could not read the schema from Cassandra: " + failure);
              }
              if (problem == null) {
                seen = true;
                log.info("journal schema present: {}", tables);
                return Optional.empty();
              }
              return problem;
            });
  }

  private CompletableFuture<Boolean> exists(Table table) {
    return session
        .selectOne(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
            table.keyspace(),
            table.name())
        .toCompletableFuture()
        .thenApply(Optional::isPresent);
  }
}
