package io.starfish.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityEvents;
import io.starfish.sharding.EntityJson;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * Applies one event to its entity's row of a view: reads the row, skips the event if the row has
 * already seen it (the projection delivers at least once), else runs the view's update and writes
 * the result with the event's sequence number. The projection calls it one event at a time.
 *
 * <p>The first event of an entity that the view sees may not be its first: a node killed after an
 * event was journalled but before its tag row was written loses that tag row until the entity
 * recovers, and a query that meets the entity's later events first takes them for its first (in
 * BankIT a transfer's row had its later states but not its start). So when an entity has no row yet
 * and the event is not sequence number 1, its earlier events are read from the journal and applied
 * first. Later gaps need nothing: the query finds a missing tag row of an entity it knows.
 */
final class ViewHandler<E extends CborSerializable, R> extends Handler<EventEnvelope<Object>> {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ViewHandler.class);

  /** What the handler records per event applied. */
  record Meters(Timer lag, Counter applied, Counter duplicates) {}

  /** An entity's journalled events (payloads, in sequence order) from 1 to a sequence number. */
  @FunctionalInterface
  interface EarlierEvents {
    CompletionStage<java.util.List<Object>> upTo(String persistenceId, long seqNr);
  }

  private final View<E, R> view;
  private final RowStore tables;
  private final Meters meters;
  private final Clock clock;
  private final String idPrefix;
  private final EarlierEvents earlier;

  ViewHandler(View<E, R> view, RowStore tables, EarlierEvents earlier, Meters meters, Clock clock) {
    this.view = view;
    this.tables = tables;
    this.earlier = earlier;
    this.meters = meters;
    this.clock = clock;
    this.idPrefix = view.sourceType() + "|";
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Object> envelope) {
    String pid = envelope.persistenceId();
    if (!pid.startsWith(idPrefix)) { // another type's event under this tag: not this view's
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    String id = pid.substring(idPrefix.length());
    return tables
        .current(view.name(), id)
        .thenCompose(
            stored -> {
              if (stored.isPresent() && stored.get().seqNr() >= envelope.sequenceNr()) {
                meters.duplicates().increment();
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              return base(pid, id, stored, envelope.sequenceNr())
                  .thenCompose(base -> apply(id, stored, base, envelope));
            });
  }

  private CompletionStage<Done> apply(
      String id, Optional<RowStore.StoredRow> stored, R base, EventEnvelope<Object> envelope) {
    R next = EntityEvents.isDeletion(envelope.event()) ? null : applyAll(base, envelope.event());
    String json = next == null ? null : json(next);
    Instant now = clock.instant();
    return tables
        .write(
            view.name(),
            id,
            stored,
            envelope.sequenceNr(),
            next == null ? "" : view.groupOf(next),
            next == null ? 0 : view.rankOf(next),
            json,
            now)
        .thenApply(
            done -> {
              meters.applied().increment();
              long lagMillis = now.toEpochMilli() - envelope.timestamp();
              meters.lag().record(Duration.ofMillis(Math.max(0, lagMillis)));
              return done;
            });
  }

  /** The row after one journal entry: its event, or each part of a split retired event. */
  private R applyAll(R row, Object stored) {
    R next = row;
    for (Object event : EntityEvents.eventsIn(stored)) {
      next = view.apply(next, domainEvent(event));
    }
    return next;
  }

  /**
   * The row the event applies to: the stored one (a removed row starts again from the initial row);
   * for an entity without a row, the initial row, with its earlier events from the journal applied
   * when this event is not its first.
   */
  private CompletionStage<R> base(
      String pid, String id, Optional<RowStore.StoredRow> stored, long seqNr) {
    if (stored.isPresent()) {
      String json = stored.get().json();
      return CompletableFuture.completedFuture(json == null ? view.initialRow() : parse(json));
    }
    if (seqNr <= 1) {
      return CompletableFuture.completedFuture(view.initialRow());
    }
    return earlier
        .upTo(pid, seqNr - 1)
        .thenApply(
            events -> {
              R row = view.initialRow();
              int applied = 0;
              for (Object event : events) {
                if (!EntityEvents.isTagged(event)) {
                  continue; // an idempotency record: no tag, nothing for views
                }
                row = EntityEvents.isDeletion(event) ? view.initialRow() : applyAll(row, event);
                applied++;
              }
              if (applied > 0) {
                log.warn(
                    "view '{}': {} first seen at sequence number {}; applied its {} earlier"
                        + " event(s) from the journal (their tag rows were not delivered, e.g."
                        + " lost with a killed node)",
                    view.name(),
                    id,
                    seqNr,
                    applied);
              }
              return row;
            });
  }

  @SuppressWarnings("unchecked") // the tag is the source type's name: its events are E
  private E domainEvent(Object event) {
    return (E) event;
  }

  private R parse(String json) {
    try {
      return EntityJson.MAPPER.readValue(json, view.rowClass());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "row of view '" + view.name() + "' is not a " + view.rowClass().getName() + ": " + json,
          e);
    }
  }

  private String json(R row) {
    try {
      return EntityJson.MAPPER.writeValueAsString(row);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "row of view '" + view.name() + "' cannot be written as JSON: " + row, e);
    }
  }
}
