package io.starfish.persistence.internal;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The fenced journal's schema change (the fence column) and its prepared statements. */
final class FenceStatements {

  private static final Logger log = LoggerFactory.getLogger(FenceStatements.class);

  private FenceStatements() {}

  /** The statements of {@link FencedCassandraJournal}, prepared on one session. */
  record Prepared(
      CqlSession cql,
      PreparedStatement insert,
      PreparedStatement fenceIfEqual,
      PreparedStatement fenceIfAbsent,
      PreparedStatement readFence,
      PreparedStatement readEvent,
      /** Null with the plugin's support-all-persistence-ids off: there is no such table then. */
      PreparedStatement insertPersistenceId) {}

  static CompletionStage<Void> ensureFenceColumn(CqlSession cql, String table) {
    String[] keyspaceAndTable = table.split("\\.", 2);
    return cql.executeAsync(
            SimpleStatement.newInstance(
                "SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND"
                    + " table_name = ? AND column_name = ?",
                keyspaceAndTable[0],
                keyspaceAndTable[1],
                FencedCassandraJournal.FENCE_COLUMN))
        .thenCompose(
            rs -> {
              if (rs.one() != null) {
                return CompletableFuture.completedFuture(null);
              }
              log.info(
                  "adding the fence column {} to {}", FencedCassandraJournal.FENCE_COLUMN, table);
              return cql.executeAsync(
                      "ALTER TABLE "
                          + table
                          + " ADD "
                          + FencedCassandraJournal.FENCE_COLUMN
                          + " bigint static")
                  .handle(
                      (r, e) -> {
                        // Another node may have added it at the same moment.
                        if (e != null && !String.valueOf(e.getMessage()).contains("already")) {
                          throw new IllegalStateException(
                              "could not add "
                                  + FencedCassandraJournal.FENCE_COLUMN
                                  + " to "
                                  + table,
                              e);
                        }
                        return null;
                      });
            });
  }

  /** Sets the partition's fence to the write's last sequence number, if it is {@code expected}. */
  private static String fenceUpdate(String table, String expected) {
    return "UPDATE "
        + table
        + " SET "
        + FencedCassandraJournal.FENCE_COLUMN
        + " = ? WHERE persistence_id = ? AND partition_nr = ? IF "
        + FencedCassandraJournal.FENCE_COLUMN
        + " = "
        + expected;
  }

  /**
   * @param allPersistenceIdsTable null when the plugin's {@code support-all-persistence-ids} is
   *     off: the plugin does not create that table then, and preparing an insert into it would fail
   *     every write
   */
  static CompletionStage<Prepared> prepare(
      CqlSession cql, String table, String allPersistenceIdsTable) {
    CompletionStage<PreparedStatement> insert =
        cql.prepareAsync(
            "INSERT INTO "
                + table
                + " (persistence_id, partition_nr, sequence_nr, timestamp, timebucket,"
                + " writer_uuid, ser_id, ser_manifest, event_manifest, event, tags)"
                + " VALUES (:persistence_id, :partition_nr, :sequence_nr, :timestamp,"
                + " :timebucket, :writer_uuid, :ser_id, :ser_manifest, :event_manifest, :event,"
                + " :tags)");
    CompletionStage<PreparedStatement> ifEqual = cql.prepareAsync(fenceUpdate(table, "?"));
    CompletionStage<PreparedStatement> ifAbsent = cql.prepareAsync(fenceUpdate(table, "null"));
    CompletionStage<PreparedStatement> read =
        cql.prepareAsync(
            "SELECT "
                + FencedCassandraJournal.FENCE_COLUMN
                + " FROM "
                + table
                + " WHERE persistence_id = ? AND partition_nr = ? LIMIT 1");
    CompletionStage<PreparedStatement> event =
        cql.prepareAsync(
            "SELECT writer_uuid, "
                + FencedCassandraJournal.FENCE_COLUMN
                + " FROM "
                + table
                + " WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr = ? LIMIT 1");
    CompletionStage<PreparedStatement> persistenceIds =
        allPersistenceIdsTable == null
            ? CompletableFuture.completedFuture(null)
            : cql.prepareAsync(
                "INSERT INTO " + allPersistenceIdsTable + " (persistence_id) VALUES (?)");
    return insert.thenCompose(
        i ->
            ifEqual.thenCompose(
                e ->
                    ifAbsent.thenCompose(
                        a ->
                            read.thenCompose(
                                r ->
                                    event.thenCompose(
                                        ev ->
                                            persistenceIds.thenApply(
                                                p -> new Prepared(cql, i, e, a, r, ev, p)))))));
  }
}
