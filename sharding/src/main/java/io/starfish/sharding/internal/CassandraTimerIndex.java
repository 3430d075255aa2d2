package io.starfish.sharding.internal;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * The timer index in Cassandra: {@code starfish_timers} in the journal's keyspace, one partition
 * per slice, rows ordered by due time; read and written at the journal's consistency (its driver
 * profile: QUORUM). Removed rows leave tombstones, which sweepers do not re-read (they read from a
 * moving lower bound), and which a short gc_grace_seconds lets compaction drop soon: a row that
 * comes back costs one delivery that changes nothing.
 */
final class CassandraTimerIndex implements TimerIndex {

  /** The journal's own profile: QUORUM, bounded timeouts. */
  private static final String PROFILE = "pekko-persistence-cassandra-profile";

  private final CassandraSession session;
  private final String table;
  private volatile CompletionStage<PreparedStatement> insert;
  private volatile CompletionStage<PreparedStatement> delete;
  private volatile CompletionStage<PreparedStatement> select;
  private volatile CompletionStage<PreparedStatement> count;

  CassandraTimerIndex(CassandraSession session, String keyspace) {
    this.session = session;
    this.table = keyspace + ".starfish_timers";
  }

  /** The CQL that creates the index table in {@code keyspace}, which must exist. */
  static String createStatement(String keyspace) {
    return "CREATE TABLE IF NOT EXISTS "
        + keyspace
        + ".starfish_timers (slice int, due_at timestamp, entity_type text, entity_id text,"
        + " timer_id text, seq bigint,"
        + " PRIMARY KEY ((slice), due_at, entity_type, entity_id, timer_id, seq))"
        + " WITH gc_grace_seconds = 3600";
  }

  @Override
  public CompletionStage<Done> add(Row row) {
    return prepared(Kind.INSERT).thenCompose(ps -> session.executeWrite(bound(ps, row)));
  }

  @Override
  public CompletionStage<Done> remove(Row row) {
    return prepared(Kind.DELETE).thenCompose(ps -> session.executeWrite(bound(ps, row)));
  }

  /** A row's key, bound in the order both statements name it. */
  private static com.datastax.oss.driver.api.core.cql.BoundStatement bound(
      PreparedStatement statement, Row row) {
    return profiled(
        statement.bind(
            row.slice(),
            Instant.ofEpochMilli(row.dueAtMillis()),
            row.entityType(),
            row.entityId(),
            row.timerId(),
            row.seq()));
  }

  @Override
  public CompletionStage<List<Row>> due(int slice, long fromMillis, long toMillis, int limit) {
    return prepared(Kind.SELECT)
        .thenCompose(
            ps ->
                session.selectAll(
                    profiled(
                        ps.bind(
                            slice,
                            Instant.ofEpochMilli(fromMillis),
                            Instant.ofEpochMilli(toMillis),
                            limit))))
        .thenApply(
            rows ->
                rows.stream()
                    .map(
                        r ->
                            new Row(
                                slice,
                                r.getInstant("due_at").toEpochMilli(),
                                r.getString("entity_type"),
                                r.getString("entity_id"),
                                r.getString("timer_id"),
                                r.getLong("seq")))
                    .toList());
  }

  @Override
  public CompletionStage<Long> count(int slice) {
    return prepared(Kind.COUNT)
        .thenCompose(ps -> session.selectOne(profiled(ps.bind(slice))))
        .thenApply(row -> row.map(r -> r.getLong(0)).orElse(0L));
  }

  private enum Kind {
    INSERT,
    DELETE,
    SELECT,
    COUNT
  }

  private CompletionStage<PreparedStatement> prepared(Kind kind) {
    switch (kind) {
      case INSERT -> {
        if (insert == null || failed(insert)) {
          insert =
              session.prepare(
                  "INSERT INTO "
                      + table
                      + " (slice, due_at, entity_type, entity_id, timer_id, seq)"
                      + " VALUES (?, ?, ?, ?, ?, ?)");
        }
        return insert;
      }
      case DELETE -> {
        if (delete == null || failed(delete)) {
          delete =
              session.prepare(
                  "DELETE FROM "
                      + table
                      + " WHERE slice = ? AND due_at = ? AND entity_type = ? AND entity_id = ?"
                      + " AND timer_id = ? AND seq = ?");
        }
        return delete;
      }
      case COUNT -> {
        if (count == null || failed(count)) {
          count = session.prepare("SELECT COUNT(*) FROM " + table + " WHERE slice = ?");
        }
        return count;
      }
      default -> {
        if (select == null || failed(select)) {
          select =
              session.prepare(
                  "SELECT due_at, entity_type, entity_id, timer_id, seq FROM "
                      + table
                      + " WHERE slice = ? AND due_at >= ? AND due_at <= ? LIMIT ?");
        }
        return select;
      }
    }
  }

  private static boolean failed(CompletionStage<?> stage) {
    CompletableFuture<?> future = stage.toCompletableFuture();
    return future.isCompletedExceptionally();
  }

  private static <T extends Statement<T>> T profiled(T statement) {
    return statement.setExecutionProfileName(PROFILE).setIdempotent(true);
  }
}
