package io.starfish.persistence;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.metadata.NodeState;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Tells readiness (and the journal circuit) whether the journal can be used right now, with the
 * journal's driver settings: first, whether enough replicas of the journal keyspace are up for
 * QUORUM, as the driver sees the Cassandra nodes (a crashed node is seen down at once, as its
 * connections close); then a trivial read of the journal table, which one node answers. A Cassandra
 * that answers but has lost its quorum (two of three nodes down) cannot store an event, and this
 * says so at once, without waiting for a server-side timeout; one node down out of three changes
 * nothing. (A quorum lost between Cassandra nodes that the driver still reaches shows as failed
 * writes instead.)
 */
public final class JournalHealth {

  /** A copy of the journal's session settings under a path of its own (see reference.conf). */
  static final String SESSION_CONFIG_PATH = "starfish.persistence.health-check-session";

  private final CassandraSession session;
  private final Duration timeout;
  private final String keyspace;
  private final String table;

  private JournalHealth(CassandraSession session, Duration timeout, String keyspace, String table) {
    this.session = session;
    this.timeout = timeout;
    this.keyspace = keyspace;
    this.table = keyspace + "." + table;
  }

  public static JournalHealth create(ActorSystem<?> system) {
    CassandraSession session = CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG_PATH);
    Config journal = system.settings().config().getConfig("pekko.persistence.cassandra.journal");
    return new JournalHealth(
        session,
        PersistenceSettings.create(system).healthCheckTimeout(),
        journal.getString("keyspace"),
        journal.getString("table"));
  }

  /** Completes with empty when the journal can be used, or with the reason it cannot. */
  public CompletionStage<Optional<String>> check() {
    CompletableFuture<Optional<String>> answer =
        session
            .underlying()
            .thenCompose(
                cql -> {
                  Optional<String> noQuorum = quorumProblem(cql);
                  if (noQuorum.isPresent()) {
                    return CompletableFuture.completedFuture(noQuorum);
                  }
                  return cql.executeAsync(
                          SimpleStatement.newInstance(
                                  "SELECT persistence_id FROM "
                                      + table
                                      + " WHERE persistence_id = 'starfish-health-probe'"
                                      + " AND partition_nr = 0 LIMIT 1")
                              .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE)
                              // A read: the driver may retry it on another replica when the one
                              // it asked closes the connection (a Cassandra node that just died).
                              // Without this, one such answer made the node look not ready
                              // while a quorum was up (ReplicatedStorageIT, in CI).
                              .setIdempotent(true))
                      .thenApply(rows -> Optional.<String>empty());
                })
            .toCompletableFuture();
    return answer
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof java.util.concurrent.CompletionException
                          && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof TimeoutException) {
                return Optional.of("Cassandra did not answer within " + timeout.toMillis() + " ms");
              }
              if (cause instanceof InvalidQueryException invalid) {
                return Optional.of("journal table " + table + " unusable: " + invalid.getMessage());
              }
              return Optional.of("Cassandra unreachable: " + cause.getClass().getSimpleName());
            });
  }

  /**
   * Why QUORUM cannot be reached in the local data centre, by the driver's view of the nodes; empty
   * if it can, or if the keyspace is not known yet (the read then reports that).
   */
  private Optional<String> quorumProblem(CqlSession cql) {
    Optional<KeyspaceMetadata> metadata = cql.getMetadata().getKeyspace(keyspace);
    if (metadata.isEmpty()) {
      return Optional.empty();
    }
    String dataCentre =
        cql.getContext()
            .getConfig()
            .getDefaultProfile()
            .getString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, "");
    Map<String, String> replication = metadata.get().getReplication();
    String factor =
        replication.getOrDefault(dataCentre, replication.getOrDefault("replication_factor", "1"));
    int replicas;
    try {
      // "3", or "3/1" (full/transient replicas)
      replicas = Integer.parseInt(factor.replaceAll("/.*", "").trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    int quorum = replicas / 2 + 1;
    long up =
        cql.getMetadata().getNodes().values().stream()
            .filter(node -> dataCentre.isEmpty() || dataCentre.equals(node.getDatacenter()))
            .filter(node -> node.getState() == NodeState.UP)
            .count();
    if (up >= quorum) {
      return Optional.empty();
    }
    return Optional.of(
        "Cassandra has too few replicas up for QUORUM ("
            + up
            + " of "
            + replicas
            + " nodes up in "
            + dataCentre
            + ", "
            + quorum
            + " needed)");
  }
}
