package io.starfish.persistence.internal;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An entity's highest sequence number, read from the fence: usually one request (two partitions)
 * where the plugin makes four in a row (its {@code deleted_to}, then the highest row of the first
 * partition and of the two after it).
 *
 * <p>Why the fence can answer: every fenced write stores its rows and sets its partition's fence to
 * its last sequence number in one Paxos batch, and all rows of a write go to the partition of its
 * last event (as in the plugin). So a partition's fence is the highest sequence number ever written
 * to it, also after its rows were deleted (the plugin deletes events with row deletes, which leave
 * a static column alone). The fenced journal refuses writes longer than a partition, so a write
 * reaches at most into the partition after its first event's, and that one is never left empty: the
 * events before it in its first partition were written there. After the last partition with a
 * fence, the next one is therefore empty, and nothing comes after it. Each request reads two
 * partitions; should one with a fence follow an empty one (a long write from before that rule), the
 * scan goes on.
 *
 * <p>When it cannot answer, it says so and the plugin's own read runs: a partition with rows but no
 * fence holds events written before fencing was on. When no partition has anything, the entity is
 * new, or every partition it had was written before fencing and deleted since: {@code deleted_to}
 * then decides, as in the plugin (one more query, on new entities only).
 */
final class FenceHighest {

  private final long targetPartitionSize;
  private final String readProfile;

  FenceHighest(long targetPartitionSize, String readProfile) {
    this.targetPartitionSize = targetPartitionSize;
    this.readProfile = readProfile;
  }

  /**
   * The highest sequence number at or after {@code fromSequenceNr}, or empty when the plugin has to
   * read it (events written before fencing).
   */
  CompletionStage<Optional<Long>> read(
      FenceStatements.Prepared s, String persistenceId, long fromSequenceNr) {
    return scan(s, persistenceId, fromSequenceNr, partitionNr(fromSequenceNr), -1);
  }

  private long partitionNr(long sequenceNr) {
    return Math.max(0, sequenceNr - 1) / targetPartitionSize;
  }

  /**
   * @param found the fence of the last partition before {@code first} that has one, or -1 when
   *     there was none
   */
  private CompletionStage<Optional<Long>> scan(
      FenceStatements.Prepared s, String persistenceId, long from, long first, long found) {
    return s.cql()
        .executeAsync(
            s.readFences()
                .bind(persistenceId, first, first + 1)
                .setExecutionProfileName(readProfile)
                .setIdempotent(true))
        .thenCompose(
            rs -> {
              Partitions partitions = Partitions.of(rs);
              if (partitions.unfencedRows()) {
                return CompletableFuture.completedFuture(Optional.empty());
              }
              if (partitions.lastFenced() < 0) {
                if (found >= 0) {
                  return CompletableFuture.completedFuture(Optional.of(Math.max(from, found)));
                }
                return deletedTo(s, persistenceId).thenApply(d -> Optional.of(Math.max(from, d)));
              }
              if (partitions.lastFenced() == first) {
                // The one after it is empty: nothing further can have been written.
                return CompletableFuture.completedFuture(
                    Optional.of(Math.max(from, partitions.fence())));
              }
              return scan(s, persistenceId, from, partitions.lastFenced() + 1, partitions.fence());
            });
  }

  private CompletionStage<Long> deletedTo(FenceStatements.Prepared s, String persistenceId) {
    if (s.readDeletedTo() == null) {
      return CompletableFuture.completedFuture(0L);
    }
    return s.cql()
        .executeAsync(
            s.readDeletedTo()
                .bind(persistenceId)
                .setExecutionProfileName(readProfile)
                .setIdempotent(true))
        .thenApply(
            rs -> {
              Row row = rs.one();
              return row == null || row.isNull("deleted_to") ? 0L : row.getLong("deleted_to");
            });
  }

  /** What one query found in its two partitions. */
  private record Partitions(boolean unfencedRows, long lastFenced, long fence) {
    static Partitions of(AsyncResultSet rs) {
      boolean unfencedRows = false;
      long lastFenced = -1;
      long fence = -1;
      // At most two rows (one per partition): both on the first page.
      for (Row row : rs.currentPage()) {
        if (row.isNull(FencedCassandraJournal.FENCE_COLUMN)) {
          unfencedRows |= !row.isNull("sequence_nr");
        } else if (row.getLong("partition_nr") > lastFenced) {
          lastFenced = row.getLong("partition_nr");
          fence = row.getLong(FencedCassandraJournal.FENCE_COLUMN);
        }
      }
      return new Partitions(unfencedRows, lastFenced, fence);
    }
  }
}
