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
 */
final class ViewHandler<E extends CborSerializable, R> extends Handler<EventEnvelope<Object>> {

  /** What the handler records per event applied. */
  record Meters(Timer lag, Counter applied, Counter duplicates) {}

  private final View<E, R> view;
  private final RowStore tables;
  private final Meters meters;
  private final Clock clock;
  private final String idPrefix;

  ViewHandler(View<E, R> view, RowStore tables, Meters meters, Clock clock) {
    this.view = view;
    this.tables = tables;
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
              R next = next(stored, envelope.event());
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
            });
  }

  private R next(Optional<RowStore.StoredRow> stored, Object event) {
    if (EntityEvents.isDeletion(event)) {
      return null;
    }
    // A removed row (json null) starts again from the initial row.
    R row =
        stored.filter(s -> s.json() != null).map(s -> parse(s.json())).orElse(view.initialRow());
    return view.apply(row, domainEvent(event));
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
