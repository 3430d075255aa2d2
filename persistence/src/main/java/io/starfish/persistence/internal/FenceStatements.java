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
      PreparedStatement insertPersistenceId,
      /** The fence, and whether there is any row, of two consecutive partitions. */
      PreparedStatement readFences,
      /** Null with the plugin's support-deletes off: there is no metadata table then. */
      PreparedStatement readDeletedTo) {}

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
   * @param metadataTable null when the plugin's {@code support-deletes} is off (no such table)
   */
  static CompletionStage<Prepared> prepare(
      CqlSession cql, String table, String allPersistenceIdsTable, String metadataTable) {
    String fence = FencedCassandraJournal.FENCE_COLUMN;
    CompletableFuture<PreparedStatement> insert =
        prepare(
            cql,
            "INSERT INTO "
                + table
                + " (persistence_id, partition_nr, sequence_nr, timestamp, timebucket,"
                + " writer_uuid, ser_id, ser_manifest, event_manifest, event, tags)"
                + " VALUES (:persistence_id, :partition_nr, :sequence_nr, :timestamp,"
                + " :timebucket, :writer_uuid, :ser_id, :ser_manifest, :event_manifest, :event,"
                + " :tags)");
    CompletableFuture<PreparedStatement> ifEqual = prepare(cql, fenceUpdate(table, "?"));
    CompletableFuture<PreparedStatement> ifAbsent = prepare(cql, fenceUpdate(table, "null"));
    CompletableFuture<PreparedStatement> read =
        prepare(
            cql,
            "SELECT "
                + fence
                + " FROM "
                + table
                + " WHERE persistence_id = ? AND partition_nr = ? LIMIT 1");
    CompletableFuture<PreparedStatement> event =
        prepare(
            cql,
            "SELECT writer_uuid, "
                + fence
                + " FROM "
                + table
                + " WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr = ? LIMIT 1");
    CompletableFuture<PreparedStatement> persistenceIds =
        allPersistenceIdsTable == null
            ? CompletableFuture.completedFuture(null)
            : prepare(
                cql, "INSERT INTO " + allPersistenceIdsTable + " (persistence_id) VALUES (?)");
    // One row per partition that has anything: its static fence and its first row's sequence
    // number (null when the partition holds only the static column).
    CompletableFuture<PreparedStatement> fences =
        prepare(
            cql,
            "SELECT partition_nr, sequence_nr, "
                + fence
                + " FROM "
                + table
                + " WHERE persistence_id = ? AND partition_nr IN (?, ?) PER PARTITION LIMIT 1");
    CompletableFuture<PreparedStatement> deletedTo =
        metadataTable == null
            ? CompletableFuture.completedFuture(null)
            : prepare(cql, "SELECT deleted_to FROM " + metadataTable + " WHERE persistence_id = ?");
    return CompletableFuture.allOf(
            insert, ifEqual, ifAbsent, read, event, persistenceIds, fences, deletedTo)
        .thenApply(
            x ->
                new Prepared(
                    cql,
                    insert.join(),
                    ifEqual.join(),
                    ifAbsent.join(),
                    read.join(),
                    event.join(),
                    persistenceIds.join(),
                    fences.join(),
                    deletedTo.join()));
  }

  private static CompletableFuture<PreparedStatement> prepare(CqlSession cql, String query) {
    return cql.prepareAsync(query).toCompletableFuture();
  }
}
