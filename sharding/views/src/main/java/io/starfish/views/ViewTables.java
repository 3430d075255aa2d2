package io.starfish.views;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * The two Cassandra tables of every view's rows.
 *
 * <ul>
 *   <li>{@code starfish_view_rows}: the rows as queries list them, partitioned by view and group,
 *       ordered by rank then entity id;
 *   <li>{@code starfish_view_row_ids}: each entity's row by id, with the sequence number of the
 *       last event applied to it (what makes a redelivered event a no-op) and where the row is
 *       listed (what lets an update move it to another group or rank).
 * </ul>
 *
 * Both are written by one logged batch, so a row is never listed twice nor lost between them. Only
 * the one projection instance of a view writes its rows.
 */
final class ViewTables implements RowStore {

  /** Reads and writes at QUORUM, idempotent: pekko-projection-cassandra's own profile. */
  static final String PROFILE = "pekko-projection-cassandra-profile";

  /** A listed row. */
  record ListedRow(String id, long rank, String json) {}

  private final CassandraSession session;
  private final Prepared selectById;
  private final Prepared insertRow;
  private final Prepared deleteRow;
  private final Prepared insertId;
  private final Prepared firstPage;
  private final Prepared nextPage;

  ViewTables(CassandraSession session, String keyspace) {
    this.session = session;
    String rows = keyspace + ".starfish_view_rows";
    String ids = keyspace + ".starfish_view_row_ids";
    this.selectById =
        new Prepared(
            "SELECT grp, rank, seq_nr, row_json FROM " + ids + " WHERE view_name = ? AND id = ?");
    this.insertRow =
        new Prepared(
            "INSERT INTO "
                + rows
                + " (view_name, grp, rank, id, row_json, updated) VALUES (?, ?, ?, ?, ?, ?)");
    this.deleteRow =
        new Prepared(
            "DELETE FROM " + rows + " WHERE view_name = ? AND grp = ? AND rank = ? AND id = ?");
    this.insertId =
        new Prepared(
            "INSERT INTO "
                + ids
                + " (view_name, id, grp, rank, seq_nr, row_json) VALUES (?, ?, ?, ?, ?, ?)");
    this.firstPage =
        new Prepared(
            "SELECT id, rank, row_json FROM "
                + rows
                + " WHERE view_name = ? AND grp = ? AND rank >= ? AND rank <= ? LIMIT ?");
    this.nextPage =
        new Prepared(
            "SELECT id, rank, row_json FROM "
                + rows
                + " WHERE view_name = ? AND grp = ? AND (rank, id) > (?, ?) AND (rank) <= (?) LIMIT ?");
  }

  /**
   * The CQL that creates the views' tables and the projection offset tables (as
   * pekko-projection-cassandra 1.0.0 defines them) in the settings' keyspace, which must exist.
   */
  static List<String> createStatements(ViewSettings settings) {
    String ks = settings.keyspace();
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".starfish_view_rows (view_name text, grp text, rank bigint, id text, row_json text,"
            + " updated timestamp, PRIMARY KEY ((view_name, grp), rank, id))",
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".starfish_view_row_ids (view_name text, id text, grp text, rank bigint, seq_nr bigint,"
            + " row_json text, PRIMARY KEY ((view_name, id)))",
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + "."
            + settings.offsetTable()
            + " (projection_name text, partition int, projection_key text, offset text,"
            + " manifest text, last_updated timestamp,"
            + " PRIMARY KEY ((projection_name, partition), projection_key))",
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + "."
            + settings.managementTable()
            + " (projection_name text, partition int, projection_key text, paused boolean,"
            + " last_updated timestamp, PRIMARY KEY ((projection_name, partition), projection_key))");
  }

  /** Runs {@link #createStatements} one after the other. */
  static CompletionStage<Done> create(CassandraSession session, ViewSettings settings) {
    CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
    for (String statement : createStatements(settings)) {
      done = done.thenCompose(d -> session.executeDDL(statement));
    }
    return done;
  }

  @Override
  public CompletionStage<Optional<StoredRow>> current(String view, String id) {
    return selectById
        .get()
        .thenCompose(ps -> session.selectOne(profiled(ps.bind(view, id))))
        .thenApply(
            found ->
                found.map(
                    r ->
                        new StoredRow(
                            r.getString("grp"),
                            r.getLong("rank"),
                            r.getLong("seq_nr"),
                            r.getString("row_json"))));
  }

  @Override
  public CompletionStage<Done> write(
      String view,
      String id,
      Optional<StoredRow> old,
      long seqNr,
      String group,
      long rank,
      String json,
      Instant now) {
    return insertRow
        .get()
        .thenCompose(
            insert ->
                deleteRow
                    .get()
                    .thenCompose(
                        delete ->
                            insertId
                                .get()
                                .thenCompose(
                                    byId -> {
                                      BatchStatementBuilder batch =
                                          BatchStatement.builder(DefaultBatchType.LOGGED)
                                              .setExecutionProfileName(PROFILE);
                                      boolean listed = old.isPresent() && old.get().json() != null;
                                      boolean moved =
                                          listed
                                              && (json == null
                                                  || !old.get().group().equals(group)
                                                  || old.get().rank() != rank);
                                      if (moved) {
                                        batch.addStatement(
                                            delete.bind(
                                                view, old.get().group(), old.get().rank(), id));
                                      }
                                      if (json != null) {
                                        batch.addStatement(
                                            insert.bind(view, group, rank, id, json, now));
                                      }
                                      batch.addStatement(
                                          byId.bind(view, id, group, rank, seqNr, json));
                                      return session.executeWriteBatch(batch.build());
                                    })));
  }

  /**
   * Up to {@code limit} rows of {@code group} with {@code minRank <= rank <= maxRank}, in (rank,
   * id) order, after the row {@code (afterRank, afterId)} when given.
   */
  CompletionStage<List<ListedRow>> list(
      String view, String group, long minRank, long maxRank, Optional<Cursor> after, int limit) {
    CompletionStage<BoundStatement> statement =
        after.isPresent() && after.get().rank() >= minRank
            ? nextPage
                .get()
                .thenApply(
                    ps ->
                        ps.bind(view, group, after.get().rank(), after.get().id(), maxRank, limit))
            : firstPage.get().thenApply(ps -> ps.bind(view, group, minRank, maxRank, limit));
    return statement
        .thenCompose(s -> session.selectAll(profiled(s)))
        .thenApply(rows -> rows.stream().map(ViewTables::listed).toList());
  }

  private static ListedRow listed(Row r) {
    return new ListedRow(r.getString("id"), r.getLong("rank"), r.getString("row_json"));
  }

  private static BoundStatement profiled(BoundStatement statement) {
    return statement.setExecutionProfileName(PROFILE);
  }

  /**
   * A statement prepared at first use, and again after a failure (the tables may not exist yet when
   * the node starts).
   */
  private final class Prepared {
    private final String cql;
    private CompletionStage<PreparedStatement> prepared;

    Prepared(String cql) {
      this.cql = cql;
    }

    synchronized CompletionStage<PreparedStatement> get() {
      if (prepared == null || prepared.toCompletableFuture().isCompletedExceptionally()) {
        prepared = session.prepare(cql);
      }
      return prepared;
    }
  }

  /** Where a page ends: the last row's rank and id; opaque to clients (base64url). */
  record Cursor(long rank, String id) {
    String encode() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString((rank + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor {@code text} stands for; IllegalArgumentException if it is not one. */
    static Cursor decode(String text) {
      try {
        String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        int colon = plain.indexOf(':');
        if (colon < 1 || colon == plain.length() - 1) {
          throw new IllegalArgumentException("cursor is not one this API returned: " + text);
        }
        return new Cursor(Long.parseLong(plain.substring(0, colon)), plain.substring(colon + 1));
      } catch (IllegalArgumentException e) { // NumberFormatException and bad base64 included
        throw new IllegalArgumentException("cursor is not one this API returned: " + text, e);
      }
    }
  }
}
