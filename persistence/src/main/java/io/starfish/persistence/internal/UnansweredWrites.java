package io.starfish.persistence.internal;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcome of the fenced journal's conditional writes: applied, refused (the fence found), or,
 * when Cassandra gave no answer, settled by a serial read (see {@link #settle}).
 */
final class UnansweredWrites {

  private static final Logger log = LoggerFactory.getLogger(UnansweredWrites.class);

  /**
   * The serial read that settles a write without an answer may have to finish a Paxos round first;
   * it gets more than the write's own timeout (2 s), whatever that is set to.
   */
  private static final Duration SETTLE_READ_TIMEOUT = Duration.ofSeconds(5);

  private final String writeProfile;

  UnansweredWrites(String writeProfile) {
    this.writeProfile = writeProfile;
  }

  /** Null when the conditional write was applied, else the fence it found (empty if none). */
  static Optional<Long> fenceFound(AsyncResultSet rs) {
    if (rs.wasApplied()) {
      return null;
    }
    Row row = rs.one();
    return row == null || row.isNull(FencedCassandraJournal.FENCE_COLUMN)
        ? Optional.<Long>empty()
        : Optional.of(row.getLong(FencedCassandraJournal.FENCE_COLUMN));
  }

  /**
   * The conditional write got no answer (a timeout, a lost connection, its coordinator crashed): it
   * may have been applied, or not, or still be under way. A read at SERIAL consistency (a Paxos
   * round of its own) sees any write that a majority of replicas accepted. The write's last event
   * there, by this writer: it was applied. Another writer's event there: refused. Nothing there: it
   * is sent once more, on another coordinator if the first one is gone; if that is refused or gets
   * no answer either, one more serial read decides (the first coordinator may still have completed
   * the original meanwhile: Cassandra retries a contended Paxos round). Without this, a Cassandra
   * node that crashes under load fails every write it was coordinating, though most of them were
   * stored. Whatever is not proven applied fails, as Pekko's journal contract asks for an unknown
   * outcome; the fence keeps a write from ever being applied twice.
   */
  CompletionStage<Optional<Long>> settle(
      FenceStatements.Prepared s,
      BatchStatement statement,
      String persistenceId,
      long partition,
      long last,
      String writer,
      Throwable failure) {
    Throwable cause = unwrap(failure);
    if (!(cause instanceof DriverException)) {
      return CompletableFuture.failedStage(cause);
    }
    String write = "write of " + persistenceId + " up to " + last;
    return storedAt(s, persistenceId, partition, last, writer)
        .handle(
            (stored, readFailure) -> {
              if (readFailure != null) {
                return CompletableFuture.<Optional<Long>>failedStage(cause);
              }
              if (stored != AtLast.NOTHING) {
                log.info(
                    "{} got no answer ({}); a serial read shows it {}",
                    write,
                    cause,
                    stored.ours() ? "was applied" : "was refused");
                return CompletableFuture.completedStage(
                    stored.ours() ? null : Optional.of(stored.fence()));
              }
              log.info(
                  "{} got no answer ({}); a serial read shows it was not applied; sending it"
                      + " once more",
                  write,
                  cause);
              return s.cql()
                  .executeAsync(statement)
                  .thenApply(UnansweredWrites::fenceFound)
                  .handle(
                      (again, retryFailure) -> {
                        if (retryFailure == null && again == null) {
                          return CompletableFuture.<Optional<Long>>completedStage(null);
                        }
                        Throwable unknown = retryFailure == null ? null : unwrap(retryFailure);
                        return storedAt(s, persistenceId, partition, last, writer)
                            .handle(
                                (finalRead, e) -> {
                                  if (e == null && finalRead.ours()) {
                                    log.info("{}: applied after all", write);
                                    return CompletableFuture.<Optional<Long>>completedStage(null);
                                  }
                                  if (unknown != null) {
                                    return CompletableFuture.<Optional<Long>>failedStage(unknown);
                                  }
                                  return CompletableFuture.completedStage(again);
                                })
                            .thenCompose(x -> x);
                      })
                  .thenCompose(x -> x);
            })
        .thenCompose(x -> x);
  }

  /** What a serial read found at a write's last sequence number. */
  private record AtLast(boolean ours, long fence) {
    /** No event stored there. */
    static final AtLast NOTHING = new AtLast(false, -1);
  }

  /** Whether the event at {@code last} is this writer's, another's (with the fence), or none. */
  private CompletionStage<AtLast> storedAt(
      FenceStatements.Prepared s, String persistenceId, long partition, long last, String writer) {
    return s.cql()
        .executeAsync(
            s.readEvent()
                .bind(persistenceId, partition, last)
                .setExecutionProfileName(writeProfile)
                .setConsistencyLevel(DefaultConsistencyLevel.SERIAL)
                .setTimeout(SETTLE_READ_TIMEOUT)
                .setIdempotent(true))
        .thenApply(
            rs -> {
              Row row = rs.one();
              if (row == null) {
                return AtLast.NOTHING;
              }
              return new AtLast(
                  writer.equals(row.getString("writer_uuid")),
                  row.isNull(FencedCassandraJournal.FENCE_COLUMN)
                      ? last
                      : row.getLong(FencedCassandraJournal.FENCE_COLUMN));
            });
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }
}
