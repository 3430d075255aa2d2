package io.starfish.views;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** Where a view handler reads and replaces entity rows ({@link ViewTables} in Cassandra). */
interface RowStore {

  /** An entity's row as stored: where it is listed, the last event applied, the JSON (or null). */
  record StoredRow(String group, long rank, long seqNr, String json) {}

  CompletionStage<Optional<StoredRow>> current(String view, String id);

  /**
   * Replaces an entity's row: unlists the old one when it moves or goes, lists the new one (unless
   * {@code json} is null), and records {@code seqNr} as the last event applied, all at once.
   */
  CompletionStage<Done> write(
      String view,
      String id,
      Optional<StoredRow> old,
      long seqNr,
      String group,
      long rank,
      String json,
      Instant now);
}
