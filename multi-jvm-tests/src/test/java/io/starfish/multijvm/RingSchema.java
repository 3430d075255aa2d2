package io.starfish.multijvm;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.CassandraSchema;
import io.starfish.runtime.internal.CassandraConfig;
import java.time.Duration;
import java.util.List;

/**
 * Creates the journal's and snapshot store's schema on a Cassandra ring with three replicas, from
 * the statements {@code starfish-node schema} prints, as production does (docs/operations.md),
 * before any node starts. A node creating it itself may send a CREATE TABLE to a ring node that has
 * not seen the new keyspace yet (it happened in CI: the snapshot table never came).
 */
public final class RingSchema {

  private RingSchema() {}

  /**
   * Runs each statement until it succeeds (they are IF NOT EXISTS; the ring may lag on schema).
   *
   * @param contactPoints the ring's "host:port" list, comma-separated
   * @param overrides configuration lines applied first (e.g. the journal's keyspace), or ""
   * @return the number of statements
   */
  public static int create(String contactPoints, String overrides) {
    org.apache.pekko.actor.ActorSystem system =
        org.apache.pekko.actor.ActorSystem.create(
            "schema",
            CassandraConfig.apply(
                ConfigFactory.parseString(
                        overrides
                            + "\npekko.actor.provider = local\n"
                            + "starfish.cassandra.replication-factor = 3\n"
                            + "starfish.cassandra.contact-points = \""
                            + contactPoints
                            + "\"")
                    .withFallback(ConfigFactory.load())));
    List<String> statements;
    try {
      statements = CassandraSchema.statements(system);
    } finally {
      system.terminate();
    }
    try (CqlSession cql = InvariantChecker.session(contactPoints)) {
      for (String statement : statements) {
        ForkedCluster.await(
            "schema statement applied: " + statement.lines().findFirst().orElse(""),
            Duration.ofSeconds(60),
            () -> {
              try {
                cql.execute(statement);
                return true;
              } catch (RuntimeException e) {
                System.out.println("[cassandra-ring] schema statement failed, again: " + e);
                return false;
              }
            });
      }
    }
    return statements.size();
  }
}
